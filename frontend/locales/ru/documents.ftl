# Messages of this area of the site; see catalogue! in src/i18n.rs.

contract-document-title = Документ договора
contract-document-read = Прочитать договор (PDF)
contract-document-read-first = Прочитайте договор перед подписанием: подпись ставится именно под этим документом.
contract-document-sha256-draft = SHA-256 этого документа:
contract-document-sha256-signed = SHA-256 подписанного документа:
tranche-purpose-loan = Кредит
tranche-purpose-milestone = Этап { $number }
problem-document-mismatch = Документ договора изменился после того, как вы его открыли. Прочитайте его снова, затем подпишите.
