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
