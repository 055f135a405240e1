-- A loan's arrangement fee, fixed by its programme at approval: the amount, and whether it is
-- deducted from the first payout or paid by the founder from their current account when
-- signing. The transfer that collected it is kept, so it is collected exactly once.
alter table contract add column arrangement_fee numeric(28, 2) not null default 0
    check (arrangement_fee >= 0 and arrangement_fee < principal);
alter table contract add column arrangement_fee_collection text
    check (arrangement_fee_collection in ('deducted', 'upfront'));
alter table contract add column arrangement_fee_transfer_id uuid;
alter table contract add constraint contract_arrangement_fee_has_collection
    check ((arrangement_fee > 0) = (arrangement_fee_collection is not null));
alter table contract add constraint contract_arrangement_fee_collected_only_when_charged
    check (arrangement_fee_transfer_id is null or arrangement_fee > 0);
