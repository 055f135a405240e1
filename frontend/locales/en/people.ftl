# Messages of this area of the site; see catalogue! in src/i18n.rs.

nav-staff-admin = Staff
staff-admin-title = Staff and their access
staff-admin-name = Name
staff-admin-roles = Roles
staff-admin-state = State
staff-admin-actions = Actions
staff-admin-disabled = disabled
staff-admin-enabled = enabled
staff-admin-locked = locked after failed sign-ins
staff-admin-must-change = must change password
staff-admin-role = Role
staff-admin-grant = Grant
staff-admin-revoke = Revoke
staff-admin-enable = Enable
staff-admin-disable = Disable
staff-admin-unlock = Unlock
staff-admin-one-time = Issue a one-time password
staff-admin-one-time-issued = One-time password (shown once; it must be changed at the next sign-in):
staff-admin-create = Create a staff account
staff-admin-username = Username
staff-admin-password = Password
problem-own-roles = An administrator may not change their own roles; another administrator must.
problem-own-account = An administrator may not do this to their own account.
problem-last-admin = This is the last enabled administrator; appoint or enable another administrator first.
problem-not-a-staff-account = A client's account is not administered as staff.
