# Messages of this area of the site; see catalogue! in src/i18n.rs.

kyc-check-format = Identifiers are well-formed
kyc-check-pinfl-birth-date = PINFL matches the birth date
kyc-check-passport-validity = Passport is valid
kyc-check-duplicates = No other profile shares the identity
kyc-check-screening = Watch-list screening
kyc-outcome-passed = passed
kyc-outcome-failed = failed
kyc-outcome-cannot-screen = could not screen: no watch list has been imported
kyc-outcome-possible-match = possible match, to be judged below
kyc-screening-hits = Watch-list matches
kyc-hit-client = The client
kyc-hit-entry = On the list
kyc-hit-list = List and reference
kyc-hit-score = Similarity (of 100)
kyc-hit-resolution = Judgement
kyc-hit-reason = Reason
kyc-hit-resolve = Record the judgement
kyc-resolution-false-positive = False positive
kyc-resolution-true-match = True match
kyc-profile-name = Full name
kyc-profile-birth-date = Birth date
kyc-profile-pinfl = PINFL
kyc-profile-passport = Passport number
kyc-profile-passport-validity = Passport valid
kyc-profile-passport-invalid = not valid today
kyc-profile-failed = The client's profile could not be loaded; compare the document once it is available again.

# The watch list's import.
nav-watch-list = Watch list
watch-list-title = Import a watch list
watch-list-intro = The file replaces the watch list in force, and every approved client is screened again against it: each new possible match opens a review in the KYC queue.
watch-list-format = The file
watch-list-format-text = A CSV file in UTF-8 with a header line naming the columns full_name, list_name and reference, and optionally birth_date (YYYY-MM-DD). A file with a bad line is refused whole: nothing is stored.
watch-list-file = The CSV file
watch-list-import = Import the watch list
watch-list-imported = { $entries } entries were imported. { $rescreened } approved clients were screened again and { $hits } new possible matches were opened for review.
watch-list-refused = The file was refused and nothing was stored. Correct these lines and import it again:
watch-list-line = Line
watch-list-reason = What is wrong
watch-list-problem-missing-column = The header has no column { $column }.
watch-list-problem-malformed-line = The line is not valid CSV or has the wrong number of values.
watch-list-problem-empty-value = The value of { $column } is empty.
watch-list-problem-unmatchable-name = The name has no letters, so no one could ever match it.
watch-list-problem-invalid-birth-date = The birth date is not written as YYYY-MM-DD.
watch-list-problem-other = The line cannot be read.
error-not-csv-text = The file is not a text (CSV) file in UTF-8.
# The client search and the client page.
nav-clients = Clients
clients-title = Find a client
clients-search-label = Name, PINFL, passport, phone, company or STIR
clients-search-hint = A name in Latin or Cyrillic script, at least two characters.
clients-search-button = Search
clients-search-refused = Type between 2 and 200 characters.
clients-found = { $count ->
    [one] { $count } client found
   *[other] { $count } clients found
}
column-client = Client
clients-companies = Companies
clients-kyc-status = Identity check
page-previous = Previous page
client-identity = Identity
client-phone = Phone
client-email = Email
client-stir = STIR
client-none = None.
client-kyc-history = Identity check history
client-documents = Documents
client-contracts = Contracts
client-applications = Applications
client-accounts = Accounts
client-penalty = penalty
client-part-unavailable = This part could not be loaded now; try again later.
client-unnamed = A client
client-event-kyc-submit = Submitted for review
client-event-kyc-assign = Taken by an officer
client-event-kyc-decide-document = Document decided
client-event-kyc-approve = Approved
client-event-kyc-reject = Rejected
client-event-kyc-request-revision = Revision requested
client-event-kyc-resolve-screening-hit = Screening hit judged
client-event-kyc-import-watch-list = Screened against a new watch list
