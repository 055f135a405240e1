# Messages of this area of the site; see catalogue! in src/i18n.rs.

contract-document-title = Shartnoma hujjati
contract-document-read = Shartnomani oʻqish (PDF)
contract-document-read-first = Imzolashdan oldin shartnomani oʻqing: imzo aynan shu hujjatga qoʻyiladi.
contract-document-sha256-draft = Ushbu hujjatning SHA-256 xeshi:
contract-document-sha256-signed = Imzolangan hujjatning SHA-256 xeshi:
tranche-purpose-loan = Kredit
tranche-purpose-milestone = { $number }-bosqich
problem-document-mismatch = Shartnoma hujjati siz ochganingizdan keyin oʻzgargan. Uni qaytadan oʻqing, soʻng imzolang.
