-- Registration makes a bank client, and applying for funding is something a client does: the
-- role every registered person holds is renamed from founder to client. Audit records keep the
-- role names they were written with.
alter table account_role drop constraint account_role_role_check;
update account_role set role = 'client' where role = 'founder';
alter table account_role add constraint account_role_role_check
    check (role in ('client', 'kyc_officer', 'credit_officer', 'approver', 'finance', 'admin'));
