-- What a notification tells about, so the email can be written in the founder's language when
-- it is sent: `state:<state>` for an application's state change. Rows written before this
-- column carry only their English subject and body, which the sender then uses as they are.
alter table notification add column kind text;
