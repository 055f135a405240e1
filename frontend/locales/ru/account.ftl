# Messages of this area of the site (passwords and the founder's inbox); see catalogue! in src/web/i18n.rs.
nav-password = Сменить пароль
password-field-old = Текущий пароль
password-field-new = Новый пароль
password-field-again = Новый пароль ещё раз
password-change-title = Смена пароля
password-change-intro = Введите текущий пароль и выберите новый. Здесь вы останетесь в системе; другие ваши входы будут завершены.
password-change-submit = Сменить пароль
password-change-done = Пароль изменён. Другие ваши входы завершены.
password-forgot-link = Забыли пароль?
password-forgot-title = Забытый пароль
password-forgot-intro = Введите адрес электронной почты из вашего профиля. Мы пришлём ссылку для нового пароля; она действует один раз, 30 минут.
password-forgot-submit = Отправить ссылку
password-forgot-sent = Если этот адрес есть в профиле, ссылка для нового пароля уже отправлена. Проверьте почту; ссылка действует один раз, 30 минут.
password-back-to-sign-in = Вернуться ко входу
password-ask-again = Запросить новую ссылку
password-reset-title = Новый пароль
password-reset-intro = Выберите новый пароль для профиля. Затем войдите с ним.
password-reset-submit = Сохранить пароль
password-must-change-title = Выберите свой пароль
password-must-change-intro = Вы вошли с одноразовым паролем. Чтобы продолжить, выберите свой пароль.
password-must-change-submit = Сохранить и продолжить
password-set-sign-in = Новый пароль сохранён. Войдите с ним.
error-wrong-password = Текущий пароль неверен.
error-password-mismatch = Новые пароли не совпадают.
problem-login-locked = Слишком много неверных паролей. Попробуйте через несколько минут.
problem-invalid-ticket = Ссылка неизвестна, уже использована или устарела. Запросите новую.
problem-no-local-password = Эта учётная запись входит через OneID и не имеет пароля здесь.
nav-inbox = Уведомления
nav-inbox-unread = Уведомления ({ $count } новых)
inbox-title = Уведомления
inbox-intro = Сообщения о ваших заявках, сначала новые. Сообщение отмечается прочитанным, когда вы его открываете.
inbox-none = У вас нет уведомлений.
inbox-unread-count = { $count ->
    [one] { $count } непрочитанное уведомление.
    [few] { $count } непрочитанных уведомления.
   *[other] { $count } непрочитанных уведомлений.
}
inbox-new = Новое
inbox-received = Получено
inbox-open = Открыть
inbox-newer = Новее
inbox-older = Старее
inbox-pages = Страницы уведомлений
inbox-back = Все уведомления
inbox-application = Открыть заявку
