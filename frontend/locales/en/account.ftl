# Messages of this area of the site (passwords and the founder's inbox); see catalogue! in src/web/i18n.rs.
nav-password = Change password
password-field-old = Current password
password-field-new = New password
password-field-again = New password again
password-change-title = Change password
password-change-intro = Enter your current password and choose a new one. You stay signed in here; your other sign-ins end.
password-change-submit = Change password
password-change-done = Your password has been changed. Your other sign-ins have ended.
password-forgot-link = Forgot your password?
password-forgot-title = Forgotten password
password-forgot-intro = Enter the e-mail address of your profile. We will send a link to set a new password; it works once, for 30 minutes.
password-forgot-submit = Send the link
password-forgot-sent = If a profile has this address, a link to set a new password is on its way. Check your e-mail; the link works once, for 30 minutes.
password-back-to-sign-in = Back to sign in
password-ask-again = Ask for a new link
password-reset-title = Set a new password
password-reset-intro = Choose a new password for your profile. After that, sign in with it.
password-reset-submit = Set the password
password-must-change-title = Choose your own password
password-must-change-intro = You signed in with a one-time password. Choose your own password to continue.
password-must-change-submit = Save and continue
password-set-sign-in = Your new password is set. Sign in with it.
error-wrong-password = The current password is not right.
error-password-mismatch = The two new passwords are not the same.
problem-login-locked = Too many wrong passwords. Try again in a few minutes.
problem-invalid-ticket = This link is unknown, was already used or has expired. Ask for a new one.
problem-no-local-password = This account signs in through OneID and has no password here.
nav-inbox = Notifications
nav-inbox-unread = Notifications ({ $count } new)
inbox-title = Notifications
inbox-intro = Messages about your applications, newest first. A message is marked read when you open it.
inbox-none = You have no notifications.
inbox-unread-count = { $count ->
    [one] One unread notification.
   *[other] { $count } unread notifications.
}
inbox-new = New
inbox-received = Received
inbox-open = Open
inbox-newer = Newer
inbox-older = Older
inbox-pages = Pages of notifications
inbox-back = All notifications
inbox-application = Open the application
