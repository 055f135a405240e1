# Messages of this area of the site; see catalogue! in src/i18n.rs.

nav-staff-admin = Ходимлар
staff-admin-title = Ходимлар ва уларнинг ҳуқуқлари
staff-admin-name = Исм
staff-admin-roles = Роллар
staff-admin-state = Ҳолат
staff-admin-actions = Амаллар
staff-admin-disabled = ўчирилган
staff-admin-enabled = фаол
staff-admin-locked = муваффақиятсиз киришлардан сўнг блокланган
staff-admin-must-change = паролни ўзгартириши керак
staff-admin-role = Рол
staff-admin-grant = Бериш
staff-admin-revoke = Қайтариб олиш
staff-admin-enable = Ёқиш
staff-admin-disable = Ўчириш
staff-admin-unlock = Блокдан чиқариш
staff-admin-one-time = Бир марталик парол бериш
staff-admin-one-time-issued = Бир марталик парол (бир марта кўрсатилади; кейинги киришда уни ўзгартириш керак):
staff-admin-create = Ходим ҳисобини яратиш
staff-admin-username = Фойдаланувчи номи
staff-admin-password = Парол
problem-own-roles = Администратор ўз ролларини ўзгартира олмайди; буни бошқа администратор қилади.
problem-own-account = Администратор буни ўз ҳисоби билан қила олмайди.
problem-last-admin = Бу охирги фаол администратор; аввал бошқа администраторни тайинланг ёки ёқинг.
problem-not-a-staff-account = Мижоз ҳисоби ходим ҳисоби сифатида бошқарилмайди.
