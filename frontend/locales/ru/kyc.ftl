# Messages of this area of the site; see catalogue! in src/i18n.rs.

kyc-check-format = Идентификаторы в правильном формате
kyc-check-pinfl-birth-date = ПИНФЛ соответствует дате рождения
kyc-check-passport-validity = Паспорт действителен
kyc-check-duplicates = Нет других профилей с теми же данными
kyc-check-screening = Проверка по спискам
kyc-outcome-passed = пройдена
kyc-outcome-failed = не пройдена
kyc-outcome-cannot-screen = проверка невозможна: список не загружен
kyc-outcome-possible-match = возможное совпадение, решите ниже
kyc-screening-hits = Совпадения со списками
kyc-hit-client = Клиент
kyc-hit-entry = В списке
kyc-hit-list = Список и номер записи
kyc-hit-score = Сходство (из 100)
kyc-hit-resolution = Решение
kyc-hit-reason = Причина
kyc-hit-resolve = Записать решение
kyc-resolution-false-positive = Ложное совпадение
kyc-resolution-true-match = Подтверждённое совпадение
kyc-profile-name = ФИО
kyc-profile-birth-date = Дата рождения
kyc-profile-pinfl = ПИНФЛ
kyc-profile-passport = Номер паспорта
kyc-profile-passport-validity = Срок действия паспорта
kyc-profile-passport-invalid = сегодня недействителен
kyc-profile-failed = Не удалось загрузить профиль клиента; сверьте документ, когда он снова будет доступен.

# The watch list's import.
nav-watch-list = Санкционный список
watch-list-title = Загрузка санкционного списка
watch-list-intro = Файл заменяет действующий список, и все одобренные клиенты проверяются по нему заново: каждое новое возможное совпадение открывает проверку в очереди KYC.
watch-list-format = Файл
watch-list-format-text = CSV-файл в UTF-8 со строкой заголовка, где названы столбцы full_name, list_name и reference, и при желании birth_date (ГГГГ-ММ-ДД). Файл с ошибочной строкой отклоняется целиком: ничего не сохраняется.
watch-list-file = CSV-файл
watch-list-import = Загрузить список
watch-list-imported = Загружено записей: { $entries }. Повторно проверено одобренных клиентов: { $rescreened }, открыто новых возможных совпадений: { $hits }.
watch-list-refused = Файл отклонён, ничего не сохранено. Исправьте эти строки и загрузите его снова:
watch-list-line = Строка
watch-list-reason = Что не так
watch-list-problem-missing-column = В заголовке нет столбца { $column }.
watch-list-problem-malformed-line = Строка не является корректным CSV или в ней неверное число значений.
watch-list-problem-empty-value = Значение { $column } пустое.
watch-list-problem-unmatchable-name = В имени нет букв, с ним никто не может совпасть.
watch-list-problem-invalid-birth-date = Дата рождения записана не в виде ГГГГ-ММ-ДД.
watch-list-problem-other = Строку невозможно прочитать.
error-not-csv-text = Файл не является текстовым (CSV) файлом в UTF-8.
# The client search and the client page.
nav-clients = Клиенты
clients-title = Поиск клиента
clients-search-label = Имя, ПИНФЛ, паспорт, телефон, компания или ИНН
clients-search-hint = Имя латиницей или кириллицей, не меньше двух символов.
clients-search-button = Найти
clients-search-refused = Введите от 2 до 200 символов.
clients-found = { $count ->
    [one] Найден { $count } клиент
    [few] Найдено { $count } клиента
   *[other] Найдено { $count } клиентов
}
column-client = Клиент
clients-companies = Компании
clients-kyc-status = Проверка личности
page-previous = Предыдущая страница
client-identity = Личность
client-phone = Телефон
client-email = Эл. почта
client-stir = ИНН
client-none = Нет.
client-kyc-history = История проверки личности
client-documents = Документы
client-contracts = Договоры
client-applications = Заявки
client-accounts = Счета
client-penalty = пеня
client-part-unavailable = Эту часть сейчас не удалось загрузить; попробуйте позже.
client-unnamed = Клиент
client-event-kyc-submit = Отправлено на проверку
client-event-kyc-assign = Принято сотрудником
client-event-kyc-decide-document = Решение по документу
client-event-kyc-approve = Одобрено
client-event-kyc-reject = Отклонено
client-event-kyc-request-revision = Запрошена доработка
client-event-kyc-resolve-screening-hit = Совпадение со списком рассмотрено
client-event-kyc-import-watch-list = Проверено по новому списку
