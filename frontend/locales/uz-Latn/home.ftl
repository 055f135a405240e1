# Messages of this area of the site; see catalogue! in src/i18n.rs.
nav-payouts = Toʻlovlar
nav-admin = Maʼmuriyat
payouts-title = Toʻlanishi kutilayotgan transhlar
payouts-intro = Ikki xodim tasdiqlagan, hali toʻlanmagan transhlar. Toʻlash uchun shartnomani oching.
payouts-none = Toʻlanishi kutilayotgan transh yoʻq.
payouts-tranche = Transh
admin-home-title = Maʼmuriyat
admin-home-intro = Sizga ochiq boʻlgan bank ishi sahifalari.
