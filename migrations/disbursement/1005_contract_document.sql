-- The contract document a founder signed: the exact PDF bytes, the language it was written in,
-- and their SHA-256, which the founder's sign request carried (the hash of the document they
-- were shown). Kept so the founder and staff download the very document that was signed, even
-- after the wording of new contracts changes. Drafts are not stored: they are generated again
-- from the contract (the same contract and language always give the same bytes).
create table contract_document (
    contract_id uuid primary key references contract (id),
    language text not null check (language in ('uz-Latn', 'uz-Cyrl', 'ru', 'en')),
    sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
    content bytea not null check (length(content) > 0),
    signed_by uuid not null,
    signed_at timestamptz not null default now()
);
comment on table contract_document is 'The signed contract PDF, its language and SHA-256, one per contract.';
