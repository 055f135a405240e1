-- Documents backing a security: a valuation report or title deed for collateral, the signed
-- guarantee for a guarantor. The founder attaches them while the application is a draft; the
-- officers who review the application open them. The bytes are kept here (bytea), as onboarding
-- keeps KYC documents: at most 10 MiB each and five per security, which PostgreSQL stores out of
-- line without trouble.
create table security_document (
    id uuid primary key,
    -- A document goes with its security: removing the security from a draft removes them.
    security_id uuid not null references application_security (id) on delete cascade,
    kind text not null check (kind in ('valuation_report', 'title_deed', 'signed_guarantee', 'other')),
    -- Decided from the bytes, never from the file name or the uploader's declared type.
    content_type text not null check (content_type in ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes bigint not null check (size_bytes between 1 and 10485760),
    -- Lowercase hex SHA-256 of the content: proves later which bytes an officer saw.
    sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
    -- The file name as uploaded, for the founder's reference only; never used to serve it.
    original_file_name text check (length(original_file_name) <= 255),
    content bytea not null,
    uploaded_at timestamptz not null,
    check (octet_length(content) = size_bytes)
);
comment on table security_document is 'Documents backing a security of a loan application, with their sniffed type, size, SHA-256 and content.';
create index security_document_of_security on security_document (security_id, uploaded_at);
