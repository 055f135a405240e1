# Messages of this area of the site; see catalogue! in src/i18n.rs.
nav-payouts = Тўловлар
nav-cash-deposits = Нақд пул бадаллари
nav-admin = Маъмурият
payouts-title = Тўланиши кутилаётган траншлар
payouts-intro = Икки ходим тасдиқлаган, ҳали тўланмаган траншлар. Тўлаш учун шартномани очинг.
payouts-none = Тўланиши кутилаётган транш йўқ.
payouts-tranche = Транш
admin-home-title = Маъмурият
admin-home-intro = Сизга очиқ бўлган банк иши саҳифалари.

# The approver's home.
nav-approvals = Тасдиқ кутмоқда
approvals-title = Сизнинг тасдиқингизни кутмоқда
approvals-intro = Бошқа ходимларнинг таклифлари, ҳар бири иккинчи тасдиқловчини кутмоқда.
approvals-decisions = Аризалар бўйича қарорлар
approvals-tranches = Сўралган траншлар
approvals-write-offs = Таклиф қилинган ҳисобдан чиқаришлар
approvals-none = Ҳеч нарса кутмаяпти.
