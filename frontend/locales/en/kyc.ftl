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
