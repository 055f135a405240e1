-- The founder's inbox: a notification is read once the founder opens it. The first opening
-- sets read_at; later openings keep it.
alter table notification add column read_at timestamptz;

comment on column notification.read_at is 'When the founder first opened the notification in the inbox; null while unread.';

-- The unread count shown in the founder's menu on every page.
create index notification_unread_idx on notification (client_id) where read_at is null;
