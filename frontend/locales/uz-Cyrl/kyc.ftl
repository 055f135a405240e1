# Messages of this area of the site; see catalogue! in src/i18n.rs.

kyc-check-format = Идентификаторлар тўғри шаклда
kyc-check-pinfl-birth-date = ЖШШИР туғилган санага мос
kyc-check-passport-validity = Паспорт амал қилади
kyc-check-duplicates = Бошқа профилда бу маълумотлар йўқ
kyc-check-screening = Рўйхатлар бўйича текширув
kyc-outcome-passed = ўтди
kyc-outcome-failed = ўтмади
kyc-outcome-cannot-screen = текшириб бўлмади: рўйхат юкланмаган
kyc-outcome-possible-match = эҳтимолий мослик, қуйида қарор қилинг
kyc-screening-hits = Рўйхатлар билан мосликлар
kyc-hit-client = Мижоз
kyc-hit-entry = Рўйхатда
kyc-hit-list = Рўйхат ва ёзув рақами
kyc-hit-score = Ўхшашлик (100 дан)
kyc-hit-resolution = Қарор
kyc-hit-reason = Сабаб
kyc-hit-resolve = Қарорни ёзиш
kyc-resolution-false-positive = Сохта мослик
kyc-resolution-true-match = Ҳақиқий мослик
kyc-profile-name = Ф.И.Ш.
kyc-profile-birth-date = Туғилган сана
kyc-profile-pinfl = ЖШШИР
kyc-profile-passport = Паспорт рақами
kyc-profile-passport-validity = Паспорт амал қилиш муддати
kyc-profile-passport-invalid = бугун амал қилмайди
kyc-profile-failed = Мижоз профилини юклаб бўлмади; ҳужжатни у яна мавжуд бўлганда солиштиринг.
