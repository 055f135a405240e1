-- An arrangement fee paid up front at signing is refunded in full when the signed contract is
-- cancelled before any money went out. The refund's ledger transfer is kept on the contract, so
-- the refund is made exactly once and the contract shows it; only a cancelled contract whose
-- fee was collected can hold one.
alter table contract add column arrangement_fee_refund_transfer_id uuid;
alter table contract add constraint contract_arrangement_fee_refunded_only_when_collected
    check (arrangement_fee_refund_transfer_id is null
        or (arrangement_fee_transfer_id is not null and status = 'cancelled'));
comment on column contract.arrangement_fee_refund_transfer_id is 'The ledger transfer that gave back an up-front arrangement fee when the signed contract was cancelled before any payout.';
