# Die Seiten und E-Mails für Kundinnen und Kunden auf Deutsch (Schlüssel wie in en.ftl).

## Shared
language-name = Deutsch
language-switch = Sprache
page-title-suffix = Wise-Konto verknüpfen
support-line = Fragen? Wenden Sie sich an { $partner }: { $contact }
privacy-link = Datenschutzerklärung
logo-alt = { $partner }

## Dates and times
month-1 = Januar
month-2 = Februar
month-3 = März
month-4 = April
month-5 = Mai
month-6 = Juni
month-7 = Juli
month-8 = August
month-9 = September
month-10 = Oktober
month-11 = November
month-12 = Dezember
date-time = { $day }. { $month } { $year }, { $time } Uhr UTC
in-seconds = { $count ->
    [one] in 1 Sekunde
   *[other] in { $count } Sekunden
}
in-minutes = { $count ->
    [one] in 1 Minute
   *[other] in { $count } Minuten
}
in-hours = { $count ->
    [one] in 1 Stunde
   *[other] in { $count } Stunden
}
in-days = { $count ->
    [one] in 1 Tag
   *[other] in { $count } Tagen
}
wait-seconds = { $count ->
    [one] 1 Sekunde
   *[other] { $count } Sekunden
}
wait-minutes = { $count ->
    [one] 1 Minute
   *[other] { $count } Minuten
}
wait-hours = { $count ->
    [one] 1 Stunde
   *[other] { $count } Stunden
}

## The link page: titles
title-enter-code = Code eingeben
title-continue = Weiter zu Wise
title-code-expired = Ihr Code ist abgelaufen
title-working = Ihr Code wird geprüft
title-linked = Verknüpft
title-review = Fast geschafft
title-rejected = Nicht verknüpft
title-locked = Gesperrt
title-unavailable = Bitte versuchen Sie es erneut
title-cross-site = Nicht von dieser Seite gesendet
title-closed = Link abgelaufen
title-declined = Noch nicht verknüpft
title-refused = Dieser Link hat nicht funktioniert

## The link page: screens
enter-heading = Code von Wise eingeben
enter-intro = { $partner } hat Wise gebeten, Ihr Wise-Konto zu verknüpfen. Wise hat Ihnen einen Link per E-Mail geschickt: Öffnen Sie ihn und melden Sie sich bei Wise an. Wise zeigt Ihnen dann einen kurzen Code. Geben Sie diesen Code hier genau so ein, wie er angezeigt wird: Groß- und Kleinbuchstaben werden unterschieden.
code-label = Code von Wise
code-help = Sechs Buchstaben und Ziffern, zum Beispiel G2s8EJ.
code-submit = Mein Wise-Konto verknüpfen
code-until = Der Code gilt bis { $when } ({ $relative }).
attempts-left = { $count ->
    [one] Noch 1 Versuch.
   *[other] Noch { $count } Versuche.
}
never-share = Geben Sie diesen Code niemals weiter, auch nicht an { $partner }.
continue-heading = Wise-Konto verknüpfen
continue-intro = { $partner } möchte Ihr Wise-Konto verknüpfen. Wise bittet Sie, sich anzumelden und die Verknüpfung zu erlauben, und schickt Sie dann hierher zurück.
continue-submit = Weiter zu Wise
continue-until = Möglich bis { $when } ({ $relative }). { $partner } sieht Ihr Wise-Passwort nie.
expired-heading = Ihr Code ist abgelaufen
expired-intro = Die Zeit für die Eingabe des Codes von Wise ist abgelaufen. Bitten Sie Wise um einen neuen Code per E-Mail.
resend-question = Keine E-Mail von Wise erhalten, oder der Code funktioniert nicht?
resend-submit = Neuen Code per E-Mail senden
resend-later = Sie können { $relative } einen neuen Code anfordern (um { $when }).
working-heading = Ihr Code wird geprüft…
working-intro = Wir bestätigen Ihr Wise-Konto. Diese Seite aktualisiert sich gleich von selbst.
linked-heading = Ihr Wise-Konto ist verknüpft
linked-intro = Fertig: Ihr Wise-Konto ist jetzt mit { $partner } verknüpft. Sie können diese Seite schließen und zur App zurückkehren.
review-heading = Wir prüfen noch einige Angaben
review-intro = Ihr Wise-Konto ist verbunden, aber das Support-Team von { $partner } muss noch einige Angaben bestätigen, bevor Sie es nutzen können. Sie müssen jetzt nichts tun: Sie erhalten Bescheid, sobald es erledigt ist.
rejected-heading = Dieses Wise-Konto konnte nicht verknüpft werden
rejected-intro = Dieses Wise-Konto hat noch kein Profil. Richten Sie Ihr Profil bei Wise ein und beginnen Sie dann in der App von vorn.
locked-heading = Zu viele falsche Codes
locked-intro = Zum Schutz Ihres Kontos ist die Verknüpfung gesperrt. Wenden Sie sich an den Support von { $partner }, um sie zu entsperren.
unavailable-heading = Bei uns ist etwas schiefgelaufen
unavailable-intro = Bitte versuchen Sie es in einer Minute erneut. Wenn das Problem bleibt, wenden Sie sich an den Support von { $partner }.
cross-site-heading = Das wurde nicht von dieser Seite gesendet
cross-site-intro = Zu Ihrer Sicherheit werden Codes nur auf der Seite aus der E-Mail zur Verknüpfung angenommen. Öffnen Sie den Link in dieser E-Mail erneut und geben Sie den Code dort ein.
closed-heading = Dieser Link ist abgelaufen
closed-intro = Diese Seite ist nicht mehr gültig. Beginnen Sie in der App von vorn, um einen neuen Code zu erhalten.
declined-heading = Ihr Wise-Konto ist noch nicht verknüpft
declined-intro = Sie haben die Verknüpfung auf der Seite von Wise nicht erlaubt, daher wurde nichts geteilt. Wenn Sie es sich anders überlegen, beginnen Sie in der App von vorn: Es dauert nur eine Minute.
refused-heading = Dieser Link hat nicht funktioniert
refused-intro = Die Seite, mit der Sie von Wise zurückgekommen sind, ist hier nicht gültig: Sie wurde schon verwendet, ist zu alt oder wurde in einem anderen Browser begonnen. Beginnen Sie in der App von vorn.
failed-heading = Etwas ist schiefgelaufen
failed-intro = Wir konnten die Verknüpfung Ihres Wise-Kontos nicht abschließen. Versuchen Sie es in einer Minute in der App erneut. Wenn das Problem bleibt, wenden Sie sich an den Support von { $partner }.

## The link page: what went wrong
error-unreadable-form = Das Formular konnte nicht gelesen werden. Bitte versuchen Sie es erneut.
notice-new-code = Wise schickt Ihnen eine neue E-Mail. Öffnen Sie den Link darin, um einen neuen Code zu sehen: Der alte Code gilt nicht mehr.
error-not-a-code = Das sieht nicht wie ein Code von Wise aus. Geben Sie den Code ein, den Wise Ihnen angezeigt hat.
error-type-the-code = Geben Sie den Code ein, den Wise Ihnen angezeigt hat.
error-ip-limited = Zu viele Versuche aus Ihrem Netzwerk. Bitte warten Sie { $wait } und versuchen Sie es dann erneut.
error-invalid-code = { $count ->
    [one] Wise hat diesen Code nicht angenommen. Prüfen Sie ihn und versuchen Sie es erneut: noch 1 Versuch.
   *[other] Wise hat diesen Code nicht angenommen. Prüfen Sie ihn und versuchen Sie es erneut: noch { $count } Versuche.
}
error-code-used = Dieser Code wurde bereits verwendet. Fordern Sie unten einen neuen Code an.
error-code-expired = Die Zeit für die Eingabe dieses Codes ist abgelaufen. Fordern Sie unten einen neuen Code an.
error-exchange-lost = Wise hat nicht geantwortet, als wir den Code geprüft haben, und ein Code gilt nur einmal. Fordern Sie unten einen neuen Code an.
error-wise-unavailable = Wise antwortet gerade nicht. Bitte versuchen Sie es in einer Minute erneut.
error-busy = Wir prüfen noch einen Code, den Sie gesendet haben. Diese Seite aktualisiert sich gleich.
error-customer-limited = Heute wurden zu viele falsche Codes eingegeben. Sie können es in { $wait } erneut versuchen.
notice-resend-too-soon = Wise hat gerade erst einen Code gesendet. Sie können in { $wait } einen neuen anfordern.
error-resend-limit = Sie haben so viele neue Codes angefordert, wie an einem Tag möglich sind. Sie können in { $wait } wieder einen anfordern.
error-other = Das ist nicht mehr möglich. Beginnen Sie in der App von vorn.

## Emails
mail-hello = Hallo { $name },
mail-finish-subject = Verknüpfung Ihres Wise-Kontos abschließen
mail-finish-intro = Sie möchten Ihr Wise-Konto mit { $partner } verknüpfen. Es fehlen noch zwei Schritte:
mail-finish-step-wise = Suchen Sie in Ihrem Posteingang nach einer E-Mail von Wise zur Verbindung Ihres Wise-Kontos (sie kam etwa zur gleichen Zeit wie diese). Öffnen Sie den Link darin und melden Sie sich bei Wise an. Wise zeigt Ihnen dann einen kurzen Code, zum Beispiel G2s8EJ.
mail-finish-step-enter = Geben Sie diesen Code auf dieser Seite ein, oder in der App, in der Sie begonnen haben:
mail-finish-until = Der Code kann bis { $when } eingegeben werden. Ist er abgelaufen, können Sie auf derselben Seite bei Wise einen neuen anfordern.
mail-finish-ignore = Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail: Ohne Ihren Code wird nichts verknüpft. Geben Sie den Code niemals an jemanden weiter, der Sie anruft oder Ihnen schreibt.
mail-linked-subject = Ihr Wise-Konto ist verknüpft
mail-linked-existing = Ihr Wise-Konto ({ $email }) ist jetzt mit { $partner } verknüpft.
mail-linked-created = Für { $email } wurde ein Wise-Konto eröffnet und mit { $partner } verknüpft.
mail-linked-withdraw = Sie können diesen Zugriff jederzeit in den Einstellungen Ihres Wise-Kontos widerrufen oder { $partner } bitten, die Verknüpfung aufzuheben.
mail-linked-unexpected = Wenn Sie dieses Konto nicht verknüpft haben, heben Sie die Verknüpfung über diesen Link sofort auf und informieren damit { $partner }:
mail-reminder-subject = Erinnerung: Verknüpfung Ihres Wise-Kontos abschließen
mail-reminder-intro = Sie haben begonnen, Ihr Wise-Konto mit { $partner } zu verknüpfen, aber der Code von Wise wurde noch nicht eingegeben.
mail-reminder-step-enter = Suchen Sie die E-Mail von Wise zur Verbindung Ihres Wise-Kontos, öffnen Sie den Link darin und melden Sie sich bei Wise an; Wise zeigt Ihnen dann einen kurzen Code. Geben Sie diesen Code auf dieser Seite ein, oder in der App, in der Sie begonnen haben:
mail-reminder-expiry = Der Code von Wise gilt nur eine begrenzte Zeit. Ist er abgelaufen, können Sie auf derselben Seite bei Wise einen neuen anfordern.
mail-reminder-once = Dies ist die einzige Erinnerung. Wenn Sie Ihr Konto nicht mehr verknüpfen möchten, ignorieren Sie diese E-Mail: Ohne Ihren Code wird nichts verknüpft.
mail-not-linked-subject = Ihr Wise-Konto konnte nicht verknüpft werden
mail-not-linked-body = Ihr Wise-Konto konnte nicht mit { $partner } verknüpft werden. Es wurde nichts geteilt, und Ihr Wise-Konto bleibt unverändert.
mail-not-linked-help = Wenn Sie es trotzdem verknüpfen möchten, wenden Sie sich bitte an { $partner }: Man hilft Ihnen gern.
mail-reconnect-subject = Verbinden Sie Ihr Wise-Konto erneut
mail-reconnect-body = Wise erlaubt { $partner } nicht mehr, Ihr Wise-Konto zu nutzen, daher ist die Verknüpfung beendet. Das passiert, wenn der Zugriff in den Einstellungen von Wise widerrufen wird, wenn sich Ihre E-Mail-Adresse oder Sicherheitseinstellungen bei Wise ändern oder wenn Wise eine neue Zustimmung verlangt.
mail-reconnect-how = Um die Verbindung wiederherzustellen, öffnen Sie die App oder Website von { $partner } und verknüpfen Sie Ihr Wise-Konto erneut. Es dauert nur eine Minute: Wise bittet Sie, sich anzumelden und zuzustimmen.
mail-reconnect-safe = Wenn Sie das nicht erwartet haben: Ihr Wise-Konto ist sicher, daran wurde nichts geändert.
mail-privacy = Datenschutzerklärung: { $url }

## The "this wasn't me" page (from the "linked" email)
title-dispute-confirm = Haben Sie Ihr Wise-Konto verknüpft?
title-dispute-done = Verknüpfung aufgehoben
title-dispute-reported = Bereits gemeldet
title-dispute-ended = Nicht verknüpft
title-dispute-expired = Link abgelaufen
title-dispute-unknown = Link ungültig
title-dispute-cross-site = Nicht von dieser Seite gesendet
dispute-confirm-heading = Haben Sie Ihr Wise-Konto mit { $partner } verknüpft?
dispute-confirm-intro = Ihr Wise-Konto ({ $email }) ist mit { $partner } verknüpft. Wenn Sie das nicht waren, heben Sie die Verknüpfung jetzt auf: { $partner } kann Ihr Wise-Konto dann nicht mehr nutzen, und das Support-Team prüft, was passiert ist.
dispute-submit = Das war ich nicht: Verknüpfung aufheben
dispute-keep = Wenn Sie es verknüpft haben, schließen Sie diese Seite: Es ändert sich nichts.
dispute-done-heading = Die Verknüpfung Ihres Wise-Kontos ist aufgehoben
dispute-done-intro = { $partner } kann Ihr Wise-Konto ({ $email }) nicht mehr nutzen, und das Support-Team prüft, was passiert ist.
dispute-done-advice = Ändern Sie zur Sicherheit Ihr Wise-Passwort und prüfen Sie in den Einstellungen von Wise, welche Apps mit Ihrem Wise-Konto verbunden sind.
dispute-reported-heading = Sie haben es uns bereits mitgeteilt
dispute-reported-intro = Die Verknüpfung Ihres Wise-Kontos ({ $email }) mit { $partner } ist aufgehoben, und das Support-Team prüft den Vorgang.
dispute-ended-heading = Ihr Wise-Konto ist nicht verknüpft
dispute-ended-intro = Ihr Wise-Konto ({ $email }) ist nicht mehr mit { $partner } verknüpft. Wenn Sie Bedenken haben, wenden Sie sich an { $partner }.
dispute-expired-heading = Dieser Link ist abgelaufen
dispute-expired-intro = Der Link in der E-Mail gilt 30 Tage. Wenn Sie Ihr Wise-Konto ({ $email }) nicht mit { $partner } verknüpft haben, wenden Sie sich sofort an { $partner }.
dispute-unknown-heading = Dieser Link ist ungültig
dispute-unknown-intro = Öffnen Sie den Link aus der E-Mail zu Ihrem Wise-Konto noch einmal, genau so, wie er gesendet wurde. Wenn Sie sich um Ihr Wise-Konto sorgen, wenden Sie sich an { $partner }.
dispute-cross-site-heading = Dies wurde nicht von dieser Seite gesendet
dispute-cross-site-intro = Zu Ihrer Sicherheit kann nur die Schaltfläche auf der Seite aus der E-Mail die Verknüpfung aufheben. Öffnen Sie den Link in dieser E-Mail erneut.
