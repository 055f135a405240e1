-- Documents clients upload for KYC. The bytes are kept here (bytea): at most 10 MiB each and
-- 100 MiB per client, which PostgreSQL stores out of line without trouble.
create table document (
    id uuid primary key,
    -- The client who uploaded it and owns it.
    client_id uuid not null references client (id),
    -- The company the document is about, when it is one of the owner's companies' papers.
    company_id uuid references company (id),
    kind text not null check (kind in ('passport_scan', 'company_charter', 'registration_certificate', 'it_park_certificate', 'financial_statements', 'other')),
    -- Decided from the bytes, never from the file name or the uploader's declared type.
    content_type text not null check (content_type in ('application/pdf', 'image/jpeg', 'image/png')),
    size_bytes bigint not null check (size_bytes between 1 and 10485760),
    -- Lowercase hex SHA-256 of the content: proves later which bytes an officer saw.
    sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
    -- The file name as uploaded, for the client's reference only; never used to serve it.
    original_file_name text check (length(original_file_name) <= 255),
    content bytea not null,
    uploaded_at timestamptz not null default now(),
    check (octet_length(content) = size_bytes)
);
comment on table document is 'Uploaded KYC documents with their sniffed type, size, SHA-256 and content.';
create index document_client_idx on document (client_id, uploaded_at);
