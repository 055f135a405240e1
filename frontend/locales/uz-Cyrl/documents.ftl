# Messages of this area of the site; see catalogue! in src/i18n.rs.

contract-document-title = Шартнома ҳужжати
contract-document-read = Шартномани ўқиш (PDF)
contract-document-read-first = Имзолашдан олдин шартномани ўқинг: имзо айнан шу ҳужжатга қўйилади.
contract-document-sha256-draft = Ушбу ҳужжатнинг SHA-256 хеши:
contract-document-sha256-signed = Имзоланган ҳужжатнинг SHA-256 хеши:
tranche-purpose-loan = Кредит
tranche-purpose-milestone = { $number }-босқич
problem-document-mismatch = Шартнома ҳужжати сиз очганингиздан кейин ўзгарган. Уни қайтадан ўқинг, сўнг имзоланг.
