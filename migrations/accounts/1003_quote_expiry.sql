-- Expired, unconfirmed quotes are deleted as new quotes are made; this index finds them.
create index client_transfer_quote_expired_idx on client_transfer_quote (expires_at)
    where transfer_id is null;
