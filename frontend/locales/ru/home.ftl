# Messages of this area of the site; see catalogue! in src/i18n.rs.
nav-payouts = Выплаты
nav-cash-deposits = Взносы наличными
nav-admin = Администрирование
payouts-title = Транши к выплате
payouts-intro = Транши, одобренные двумя сотрудниками и ещё не выплаченные. Откройте договор, чтобы выплатить.
payouts-none = Нет траншей, ожидающих выплаты.
payouts-tranche = Транш
admin-home-title = Администрирование
admin-home-intro = Страницы работы банка, доступные вам.

# The approver's home.
nav-approvals = Ждут подтверждения
approvals-title = Ждут вашего подтверждения
approvals-intro = Предложения других сотрудников, каждое ждёт второго утверждающего.
approvals-decisions = Решения по заявкам
approvals-tranches = Запрошенные транши
approvals-write-offs = Предложенные списания
approvals-none = Ничего не ждёт.
