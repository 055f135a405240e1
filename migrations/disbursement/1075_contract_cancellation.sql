-- A contract never signed can be cancelled: by its founder, or by staff once it has waited
-- long enough. A cancelled contract moved no money, so it has no disbursement date, like a
-- draft; who cancelled it, when and why are kept on the row (and in the audit trail).
alter table contract drop constraint contract_status_check;
alter table contract add constraint contract_status_check
    check (status in ('draft', 'signed', 'active', 'closed', 'written_off', 'cancelled'));
alter table contract drop constraint contract_check2;
alter table contract add constraint contract_disbursement_date_once_paid
    check ((status in ('draft', 'signed', 'cancelled')) = (disbursement_date is null));
alter table contract add column cancelled_at timestamptz;
alter table contract add column cancelled_by uuid;
alter table contract add column cancel_reason text check (length(cancel_reason) between 1 and 1000);
alter table contract add constraint contract_cancellation_recorded
    check ((status = 'cancelled') = (cancelled_at is not null and cancelled_by is not null
        and cancel_reason is not null));
