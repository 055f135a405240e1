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

# The watch list's import.
nav-watch-list = Санкция рўйхати
watch-list-title = Санкция рўйхатини юклаш
watch-list-intro = Файл амалдаги рўйхатни алмаштиради ва барча тасдиқланган мижозлар у бўйича қайта текширилади: ҳар бир янги эҳтимолий мослик KYC навбатида текширув очади.
watch-list-format = Файл
watch-list-format-text = UTF-8 даги CSV файл, сарлавҳа қаторида full_name, list_name ва reference устунлари, ихтиёрий равишда birth_date (YYYY-MM-DD). Хато қатори бор файл тўлиқ рад этилади: ҳеч нарса сақланмайди.
watch-list-file = CSV файл
watch-list-import = Рўйхатни юклаш
watch-list-imported = { $entries } та ёзув юкланди. { $rescreened } та тасдиқланган мижоз қайта текширилди, { $hits } та янги эҳтимолий мослик текширувга очилди.
watch-list-refused = Файл рад этилди, ҳеч нарса сақланмади. Ушбу қаторларни тузатиб, қайта юкланг:
watch-list-line = Қатор
watch-list-reason = Нима хато
watch-list-problem-missing-column = Сарлавҳада { $column } устуни йўқ.
watch-list-problem-malformed-line = Қатор тўғри CSV эмас ёки қийматлар сони нотўғри.
watch-list-problem-empty-value = { $column } қиймати бўш.
watch-list-problem-unmatchable-name = Исмда ҳарф йўқ, у ҳеч кимга мос келмайди.
watch-list-problem-invalid-birth-date = Туғилган сана YYYY-MM-DD кўринишида ёзилмаган.
watch-list-problem-other = Қаторни ўқиб бўлмайди.
error-not-csv-text = Файл UTF-8 даги матнли (CSV) файл эмас.
