# Messages of this area of the site; see catalogue! in src/i18n.rs.

nav-staff-admin = Xodimlar
staff-admin-title = Xodimlar va ularning huquqlari
staff-admin-name = Ism
staff-admin-roles = Rollar
staff-admin-state = Holat
staff-admin-actions = Amallar
staff-admin-disabled = o‘chirilgan
staff-admin-enabled = faol
staff-admin-locked = muvaffaqiyatsiz kirishlardan so‘ng bloklangan
staff-admin-must-change = parolni o‘zgartirishi kerak
staff-admin-role = Rol
staff-admin-grant = Berish
staff-admin-revoke = Qaytarib olish
staff-admin-enable = Yoqish
staff-admin-disable = O‘chirish
staff-admin-unlock = Blokdan chiqarish
staff-admin-one-time = Bir martalik parol berish
staff-admin-one-time-issued = Bir martalik parol (bir marta ko‘rsatiladi; keyingi kirishda uni o‘zgartirish kerak):
staff-admin-create = Xodim hisobini yaratish
staff-admin-username = Foydalanuvchi nomi
staff-admin-password = Parol
problem-own-roles = Administrator o‘z rollarini o‘zgartira olmaydi; buni boshqa administrator qiladi.
problem-own-account = Administrator buni o‘z hisobi bilan qila olmaydi.
problem-last-admin = Bu oxirgi faol administrator; avval boshqa administratorni tayinlang yoki yoqing.
problem-not-a-staff-account = Mijoz hisobi xodim hisobi sifatida boshqarilmaydi.
