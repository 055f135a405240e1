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
