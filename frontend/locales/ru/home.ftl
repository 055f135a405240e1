# Messages of this area of the site; see catalogue! in src/i18n.rs.
nav-payouts = Выплаты
nav-admin = Администрирование
payouts-title = Транши к выплате
payouts-intro = Транши, одобренные двумя сотрудниками и ещё не выплаченные. Откройте договор, чтобы выплатить.
payouts-none = Нет траншей, ожидающих выплаты.
payouts-tranche = Транш
admin-home-title = Администрирование
admin-home-intro = Страницы работы банка, доступные вам.
