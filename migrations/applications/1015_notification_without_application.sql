-- Some notifications tell about the founder rather than an application (a KYC decision), so a
-- notification's application is optional; the inbox shows such a row without a link.
alter table notification alter column application_id drop not null;
