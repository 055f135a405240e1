# Messages of this area of the site; see catalogue! in src/i18n.rs.
nav-payouts = Toʻlovlar
nav-cash-deposits = Naqd pul badallari
nav-admin = Maʼmuriyat
payouts-title = Toʻlanishi kutilayotgan transhlar
payouts-intro = Ikki xodim tasdiqlagan, hali toʻlanmagan transhlar. Toʻlash uchun shartnomani oching.
payouts-none = Toʻlanishi kutilayotgan transh yoʻq.
payouts-tranche = Transh
admin-home-title = Maʼmuriyat
admin-home-intro = Sizga ochiq boʻlgan bank ishi sahifalari.

# The approver's home.
nav-approvals = Tasdiq kutmoqda
approvals-title = Sizning tasdiqingizni kutmoqda
approvals-intro = Boshqa xodimlarning takliflari, har biri ikkinchi tasdiqlovchini kutmoqda.
approvals-decisions = Arizalar boʻyicha qarorlar
approvals-tranches = Soʻralgan transhlar
approvals-write-offs = Taklif qilingan hisobdan chiqarishlar
approvals-none = Hech narsa kutmayapti.
