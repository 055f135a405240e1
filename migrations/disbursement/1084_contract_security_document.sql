-- The documents that backed each security of the application (a valuation report, a title deed,
-- a signed guarantee), as the approval names them. The files stay with the applications service,
-- which decides who opens them; the contract records which documents they were and the SHA-256
-- of their bytes, so what the bank relied on can be proved later.
create table contract_security_document (
    contract_id uuid not null,
    -- The security's position on the contract (contract_security.position).
    position integer not null,
    -- The document's order among its security's documents, from 1.
    number integer not null check (number >= 1),
    -- The document's id in the applications service.
    document_id uuid not null,
    kind text not null check (kind in ('valuation_report', 'title_deed', 'signed_guarantee', 'other')),
    content_type text not null check (content_type in ('application/pdf', 'image/jpeg', 'image/png')),
    sha256 text not null check (sha256 ~ '^[0-9a-f]{64}$'),
    primary key (contract_id, position, number),
    unique (contract_id, document_id),
    foreign key (contract_id, position) references contract_security (contract_id, position)
);
comment on table contract_security_document is 'References to the documents that backed a contract''s securities on its application, with their SHA-256.';
