# The customer's pages and emails in English: the reference every other locale must match key for
# key (a test checks). Placeholders: $partner is branding.partner_name.

## Shared
language-name = English
language-switch = Language
page-title-suffix = Link your Wise account
support-line = Questions? Contact { $partner }: { $contact }
privacy-link = Privacy policy
logo-alt = { $partner }

## Dates and times
month-1 = January
month-2 = February
month-3 = March
month-4 = April
month-5 = May
month-6 = June
month-7 = July
month-8 = August
month-9 = September
month-10 = October
month-11 = November
month-12 = December
date-time = { $day } { $month } { $year }, { $time } UTC
in-seconds = { $count ->
    [one] in 1 second
   *[other] in { $count } seconds
}
in-minutes = { $count ->
    [one] in 1 minute
   *[other] in { $count } minutes
}
in-hours = { $count ->
    [one] in 1 hour
   *[other] in { $count } hours
}
in-days = { $count ->
    [one] in 1 day
   *[other] in { $count } days
}
wait-seconds = { $count ->
    [one] 1 second
   *[other] { $count } seconds
}
wait-minutes = { $count ->
    [one] 1 minute
   *[other] { $count } minutes
}
wait-hours = { $count ->
    [one] 1 hour
   *[other] { $count } hours
}

## The link page: titles
title-enter-code = Enter your code
title-continue = Continue to Wise
title-code-expired = Your code has expired
title-working = Checking your code
title-linked = Linked
title-review = Almost done
title-rejected = Not linked
title-locked = Locked
title-unavailable = Please try again
title-cross-site = Not sent from this page
title-closed = Link expired
title-declined = Not linked yet
title-refused = This link did not work

## The link page: screens
enter-heading = Enter the code from Wise
enter-intro = { $partner } asked Wise to link your Wise account. Wise has emailed you a link: follow it and log in to Wise, and Wise then shows you a short code. Type that code here exactly as it is shown: capital and small letters are different.
code-label = Code from Wise
code-help = Six letters and digits, such as G2s8EJ.
code-submit = Link my Wise account
code-until = The code works until { $when } ({ $relative }).
attempts-left = { $count ->
    [one] 1 attempt left.
   *[other] { $count } attempts left.
}
never-share = Never share this code with anyone, including { $partner }.
continue-heading = Link your Wise account
continue-intro = { $partner } asks to link your Wise account. Wise will ask you to log in and to allow the link, then sends you back here.
continue-submit = Continue to Wise
continue-until = Possible until { $when } ({ $relative }). { $partner } never sees your Wise password.
expired-heading = Your code has expired
expired-intro = The time to enter the code from Wise has run out. Ask Wise to email you a new one.
resend-question = No email from Wise, or the code does not work?
resend-submit = Email me a new code
resend-later = You can ask for a new code { $relative } (at { $when }).
working-heading = Checking your code…
working-intro = We are confirming your Wise account. This page updates by itself in a moment.
linked-heading = Your Wise account is linked
linked-intro = All done: your Wise account is now linked to { $partner }. You can close this page and go back to the app.
review-heading = We are checking a few details
review-intro = Your Wise account is connected, but { $partner }'s support team needs to confirm some details before you can use it. You do not need to do anything now: you will hear from them when it is done.
rejected-heading = We could not link this Wise account
rejected-intro = This Wise account has no profile yet. Finish setting up your profile in Wise, then start again from the app.
locked-heading = Too many wrong codes
locked-intro = To keep your account safe, linking is locked. Contact { $partner }'s support to unlock it.
unavailable-heading = Something went wrong on our side
unavailable-intro = Please try again in a minute. If it keeps happening, contact { $partner }'s support.
cross-site-heading = This was not sent from this page
cross-site-intro = For your safety, codes are only taken from the page in the email about linking. Open the link in that email again and enter the code there.
closed-heading = This link has expired
closed-intro = This page is no longer valid. Start again from the app to get a new code.
declined-heading = Your Wise account is not linked yet
declined-intro = You did not allow the link on Wise's page, so nothing was shared. If you change your mind, go back to the app and start again: it takes a minute.
refused-heading = This link did not work
refused-intro = The page you came back from Wise with is not valid here: it was already used, it is too old, or it was started in another browser. Go back to the app and start again.
failed-heading = Something went wrong
failed-intro = We could not finish linking your Wise account. Go back to the app and try again in a minute. If it keeps happening, contact { $partner }'s support.

## The link page: what went wrong
error-unreadable-form = The form could not be read. Please try again.
notice-new-code = Wise is emailing you again. Follow the link in the new email to see a new code: the old code no longer works.
error-not-a-code = That does not look like a code from Wise. Type the code Wise showed you.
error-type-the-code = Type the code Wise showed you.
error-ip-limited = Too many attempts from your network. Please wait { $wait } and try again.
error-invalid-code = { $count ->
    [one] Wise did not accept that code. Check it and try again: 1 attempt left.
   *[other] Wise did not accept that code. Check it and try again: { $count } attempts left.
}
error-code-used = That code has already been used. Ask for a new code below.
error-code-expired = The time to enter this code has run out. Ask for a new code below.
error-exchange-lost = Wise did not answer when we checked that code, and a code works only once. Ask for a new code below.
error-wise-unavailable = Wise is not answering right now. Please try again in a minute.
error-busy = We are still checking a code you sent. This page updates in a moment.
error-customer-limited = Too many wrong codes today. You can try again in { $wait }.
notice-resend-too-soon = Wise has only just sent a code. You can ask for a new one in { $wait }.
error-resend-limit = You have asked for as many new codes as a day allows. You can ask again in { $wait }.
error-other = This cannot be done any more. Start again from the app.

## Emails
mail-hello = Hello { $name },
mail-finish-subject = Finish linking your Wise account
mail-finish-intro = You asked to link your Wise account to { $partner }. Two steps are left:
mail-finish-step-wise = Look in your inbox for an email from Wise about connecting your Wise account (it arrived at about the same time as this one). Follow its link and log in to Wise. Wise then shows you a short code, such as G2s8EJ.
mail-finish-step-enter = Enter that code on this page, or in the app where you started:
mail-finish-until = The code can be entered until { $when }. If it expires, the same page lets you ask Wise for a new one.
mail-finish-ignore = If you did not ask for this, ignore this email: nothing is linked without your code. Never share the code with anyone who calls or writes to you.
mail-linked-subject = Your Wise account is linked
mail-linked-existing = Your Wise account ({ $email }) is now linked to { $partner }.
mail-linked-created = A Wise account was opened for { $email } and is now linked to { $partner }.
mail-linked-withdraw = You can withdraw this access at any time in your Wise account settings, or by asking { $partner } to unlink it.
mail-linked-unexpected = If you did not link this account, use this link to unlink it at once and tell { $partner }:
mail-reminder-subject = Reminder: finish linking your Wise account
mail-reminder-intro = You started linking your Wise account to { $partner }, but the code from Wise has not been entered yet.
mail-reminder-step-enter = Look for Wise's email about connecting your Wise account, follow its link and log in to Wise; Wise then shows you a short code. Enter that code on this page, or in the app where you started:
mail-reminder-expiry = Wise's code works for a limited time. If it has expired, the same page lets you ask Wise for a new one.
mail-reminder-once = This is the only reminder. If you no longer want to link your account, ignore this email: nothing is linked without your code.
mail-not-linked-subject = We could not link your Wise account
mail-not-linked-body = We could not link your Wise account to { $partner }. Nothing was shared, and your Wise account is unchanged.
mail-not-linked-help = If you would still like to link it, please contact { $partner }: they will help you.
mail-reconnect-subject = Reconnect your Wise account
mail-reconnect-body = Wise no longer lets { $partner } use your Wise account, so the link has stopped. This happens when access is withdrawn in Wise's settings, when your email or security settings change at Wise, or when Wise asks for a fresh approval.
mail-reconnect-how = To reconnect, open { $partner }'s app or website and choose to link your Wise account again. It takes a minute: Wise will ask you to log in and approve.
mail-reconnect-safe = If you did not expect this, your Wise account is safe: nothing was changed in it.
mail-privacy = Privacy policy: { $url }

## The "this wasn't me" page (from the "linked" email)
title-dispute-confirm = Did you link your Wise account?
title-dispute-done = Unlinked
title-dispute-reported = Already reported
title-dispute-ended = Not linked
title-dispute-expired = Link expired
title-dispute-unknown = Link not valid
title-dispute-cross-site = Not sent from this page
dispute-confirm-heading = Did you link your Wise account to { $partner }?
dispute-confirm-intro = Your Wise account ({ $email }) is linked to { $partner }. If you did not do this, unlink it now: { $partner } can no longer use your Wise account, and its support team looks into what happened.
dispute-submit = This wasn't me: unlink my Wise account
dispute-keep = If you did link it, close this page: nothing changes.
dispute-done-heading = Your Wise account is unlinked
dispute-done-intro = { $partner } can no longer use your Wise account ({ $email }), and its support team will look into what happened.
dispute-done-advice = To be safe, change your Wise password and check which apps are connected to your Wise account in Wise's settings.
dispute-reported-heading = You have already told us
dispute-reported-intro = Your Wise account ({ $email }) is unlinked from { $partner }, and its support team is looking into it.
dispute-ended-heading = Your Wise account is not linked
dispute-ended-intro = Your Wise account ({ $email }) is no longer linked to { $partner }. If you are worried about it, contact { $partner }.
dispute-expired-heading = This link has expired
dispute-expired-intro = The link in the email works for 30 days. If you did not link your Wise account ({ $email }) to { $partner }, contact { $partner } straight away.
dispute-unknown-heading = This link is not valid
dispute-unknown-intro = Open the link from the email about your Wise account again, exactly as it was sent. If you are worried about your Wise account, contact { $partner }.
dispute-cross-site-heading = This was not sent from this page
dispute-cross-site-intro = For your safety, only the button on the page from the email can unlink your account. Open the link in that email again.
