# Messages of this area of the site; see catalogue! in src/i18n.rs.

nav-staff-admin = Сотрудники
staff-admin-title = Сотрудники и их доступ
staff-admin-name = Имя
staff-admin-roles = Роли
staff-admin-state = Состояние
staff-admin-actions = Действия
staff-admin-disabled = отключён
staff-admin-enabled = активен
staff-admin-locked = заблокирован после неудачных входов
staff-admin-must-change = должен сменить пароль
staff-admin-role = Роль
staff-admin-grant = Выдать
staff-admin-revoke = Отозвать
staff-admin-enable = Включить
staff-admin-disable = Отключить
staff-admin-unlock = Разблокировать
staff-admin-one-time = Выдать одноразовый пароль
staff-admin-one-time-issued = Одноразовый пароль (показан один раз; при следующем входе его нужно сменить):
staff-admin-create = Создать учётную запись сотрудника
staff-admin-username = Имя пользователя
staff-admin-password = Пароль
problem-own-roles = Администратор не может менять свои роли; это делает другой администратор.
problem-own-account = Администратор не может сделать это со своей учётной записью.
problem-last-admin = Это последний активный администратор; сначала назначьте или включите другого.
problem-not-a-staff-account = Учётная запись клиента не управляется как учётная запись сотрудника.
