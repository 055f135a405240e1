# Messages of this area of the site; see catalogue! in src/i18n.rs.

kyc-check-format = Identifikatorlar toʻgʻri shaklda
kyc-check-pinfl-birth-date = JShShIR tugʻilgan sanaga mos
kyc-check-passport-validity = Pasport amal qiladi
kyc-check-duplicates = Boshqa profilda bu maʼlumotlar yoʻq
kyc-check-screening = Roʻyxatlar boʻyicha tekshiruv
kyc-outcome-passed = oʻtdi
kyc-outcome-failed = oʻtmadi
kyc-outcome-cannot-screen = tekshirib boʻlmadi: roʻyxat yuklanmagan
kyc-outcome-possible-match = ehtimoliy moslik, quyida qaror qiling
kyc-screening-hits = Roʻyxatlar bilan mosliklar
kyc-hit-client = Mijoz
kyc-hit-entry = Roʻyxatda
kyc-hit-list = Roʻyxat va yozuv raqami
kyc-hit-score = Oʻxshashlik (100 dan)
kyc-hit-resolution = Qaror
kyc-hit-reason = Sabab
kyc-hit-resolve = Qarorni yozish
kyc-resolution-false-positive = Soxta moslik
kyc-resolution-true-match = Haqiqiy moslik
kyc-profile-name = F.I.Sh.
kyc-profile-birth-date = Tugʻilgan sana
kyc-profile-pinfl = JShShIR
kyc-profile-passport = Pasport raqami
kyc-profile-passport-validity = Pasport amal qilish muddati
kyc-profile-passport-invalid = bugun amal qilmaydi
kyc-profile-failed = Mijoz profilini yuklab boʻlmadi; hujjatni u yana mavjud boʻlganda solishtiring.

# The watch list's import.
nav-watch-list = Sanksiya ro'yxati
watch-list-title = Sanksiya ro'yxatini yuklash
watch-list-intro = Fayl amaldagi ro'yxatni almashtiradi va barcha tasdiqlangan mijozlar u bo'yicha qayta tekshiriladi: har bir yangi ehtimoliy moslik KYC navbatida tekshiruv ochadi.
watch-list-format = Fayl
watch-list-format-text = UTF-8 dagi CSV fayl, sarlavha qatorida full_name, list_name va reference ustunlari, ixtiyoriy ravishda birth_date (YYYY-MM-DD). Xato qatori bor fayl to'liq rad etiladi: hech narsa saqlanmaydi.
watch-list-file = CSV fayl
watch-list-import = Ro'yxatni yuklash
watch-list-imported = { $entries } ta yozuv yuklandi. { $rescreened } ta tasdiqlangan mijoz qayta tekshirildi, { $hits } ta yangi ehtimoliy moslik tekshiruvga ochildi.
watch-list-refused = Fayl rad etildi, hech narsa saqlanmadi. Ushbu qatorlarni tuzatib, qayta yuklang:
watch-list-line = Qator
watch-list-reason = Nima xato
watch-list-problem-missing-column = Sarlavhada { $column } ustuni yo'q.
watch-list-problem-malformed-line = Qator to'g'ri CSV emas yoki qiymatlar soni noto'g'ri.
watch-list-problem-empty-value = { $column } qiymati bo'sh.
watch-list-problem-unmatchable-name = Ismda harf yo'q, u hech kimga mos kelmaydi.
watch-list-problem-invalid-birth-date = Tug'ilgan sana YYYY-MM-DD ko'rinishida yozilmagan.
watch-list-problem-other = Qatorni o'qib bo'lmaydi.
error-not-csv-text = Fayl UTF-8 dagi matnli (CSV) fayl emas.
