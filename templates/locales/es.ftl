# Las páginas y los correos para el cliente en español (las mismas claves que en.ftl).

## Shared
language-name = Español
language-switch = Idioma
page-title-suffix = Vincula tu cuenta de Wise
support-line = ¿Preguntas? Contacta con { $partner }: { $contact }
privacy-link = Política de privacidad
logo-alt = { $partner }

## Dates and times
month-1 = enero
month-2 = febrero
month-3 = marzo
month-4 = abril
month-5 = mayo
month-6 = junio
month-7 = julio
month-8 = agosto
month-9 = septiembre
month-10 = octubre
month-11 = noviembre
month-12 = diciembre
date-time = { $day } de { $month } de { $year }, { $time } UTC
in-seconds = { $count ->
    [one] dentro de 1 segundo
   *[other] dentro de { $count } segundos
}
in-minutes = { $count ->
    [one] dentro de 1 minuto
   *[other] dentro de { $count } minutos
}
in-hours = { $count ->
    [one] dentro de 1 hora
   *[other] dentro de { $count } horas
}
in-days = { $count ->
    [one] dentro de 1 día
   *[other] dentro de { $count } días
}
wait-seconds = { $count ->
    [one] 1 segundo
   *[other] { $count } segundos
}
wait-minutes = { $count ->
    [one] 1 minuto
   *[other] { $count } minutos
}
wait-hours = { $count ->
    [one] 1 hora
   *[other] { $count } horas
}

## The link page: titles
title-enter-code = Introduce tu código
title-continue = Continuar a Wise
title-code-expired = Tu código ha caducado
title-working = Comprobando tu código
title-linked = Vinculada
title-review = Casi listo
title-rejected = No vinculada
title-locked = Bloqueada
title-unavailable = Inténtalo de nuevo
title-cross-site = No se envió desde esta página
title-closed = Enlace caducado
title-declined = Aún no vinculada
title-refused = Este enlace no ha funcionado

## The link page: screens
enter-heading = Introduce el código de Wise
enter-intro = { $partner } ha pedido a Wise vincular tu cuenta de Wise. Wise te ha enviado un enlace por correo: ábrelo e inicia sesión en Wise, y Wise te mostrará un código corto. Escribe ese código aquí tal como aparece: las mayúsculas y las minúsculas son distintas.
code-label = Código de Wise
code-help = Seis letras y números, por ejemplo G2s8EJ.
code-submit = Vincular mi cuenta de Wise
code-until = El código funciona hasta el { $when } ({ $relative }).
attempts-left = { $count ->
    [one] Queda 1 intento.
   *[other] Quedan { $count } intentos.
}
never-share = No compartas nunca este código con nadie, tampoco con { $partner }.
continue-heading = Vincula tu cuenta de Wise
continue-intro = { $partner } quiere vincular tu cuenta de Wise. Wise te pedirá que inicies sesión y permitas la vinculación, y luego te traerá de vuelta aquí.
continue-submit = Continuar a Wise
continue-until = Posible hasta el { $when } ({ $relative }). { $partner } nunca ve tu contraseña de Wise.
expired-heading = Tu código ha caducado
expired-intro = Se ha acabado el tiempo para introducir el código de Wise. Pide a Wise que te envíe uno nuevo.
resend-question = ¿No te ha llegado el correo de Wise, o el código no funciona?
resend-submit = Enviarme un código nuevo
resend-later = Podrás pedir un código nuevo { $relative } (a las { $when }).
working-heading = Comprobando tu código…
working-intro = Estamos confirmando tu cuenta de Wise. Esta página se actualizará sola en un momento.
linked-heading = Tu cuenta de Wise está vinculada
linked-intro = Listo: tu cuenta de Wise ya está vinculada con { $partner }. Puedes cerrar esta página y volver a la aplicación.
review-heading = Estamos comprobando algunos datos
review-intro = Tu cuenta de Wise está conectada, pero el equipo de soporte de { $partner } tiene que confirmar algunos datos antes de que puedas usarla. No tienes que hacer nada ahora: te avisarán cuando esté listo.
rejected-heading = No hemos podido vincular esta cuenta de Wise
rejected-intro = Esta cuenta de Wise todavía no tiene perfil. Termina de configurar tu perfil en Wise y vuelve a empezar desde la aplicación.
locked-heading = Demasiados códigos incorrectos
locked-intro = Para proteger tu cuenta, la vinculación está bloqueada. Contacta con el soporte de { $partner } para desbloquearla.
unavailable-heading = Algo ha fallado por nuestra parte
unavailable-intro = Inténtalo de nuevo dentro de un minuto. Si sigue pasando, contacta con el soporte de { $partner }.
cross-site-heading = Esto no se envió desde esta página
cross-site-intro = Por tu seguridad, los códigos solo se aceptan en la página del correo sobre la vinculación. Vuelve a abrir el enlace de ese correo e introduce el código allí.
closed-heading = Este enlace ha caducado
closed-intro = Esta página ya no es válida. Vuelve a empezar desde la aplicación para recibir un código nuevo.
declined-heading = Tu cuenta de Wise aún no está vinculada
declined-intro = No permitiste la vinculación en la página de Wise, así que no se compartió nada. Si cambias de opinión, vuelve a la aplicación y empieza de nuevo: solo lleva un minuto.
refused-heading = Este enlace no ha funcionado
refused-intro = La página con la que volviste de Wise no es válida aquí: ya se usó, es demasiado antigua o se empezó en otro navegador. Vuelve a la aplicación y empieza de nuevo.
failed-heading = Algo ha fallado
failed-intro = No hemos podido terminar de vincular tu cuenta de Wise. Vuelve a la aplicación e inténtalo de nuevo dentro de un minuto. Si sigue pasando, contacta con el soporte de { $partner }.

## The link page: what went wrong
error-unreadable-form = No se pudo leer el formulario. Inténtalo de nuevo.
notice-new-code = Wise te está enviando otro correo. Abre el enlace del correo nuevo para ver un código nuevo: el código anterior ya no funciona.
error-not-a-code = Eso no parece un código de Wise. Escribe el código que te mostró Wise.
error-type-the-code = Escribe el código que te mostró Wise.
error-ip-limited = Demasiados intentos desde tu red. Espera { $wait } y vuelve a intentarlo.
error-invalid-code = { $count ->
    [one] Wise no ha aceptado ese código. Compruébalo y vuelve a intentarlo: queda 1 intento.
   *[other] Wise no ha aceptado ese código. Compruébalo y vuelve a intentarlo: quedan { $count } intentos.
}
error-code-used = Ese código ya se ha usado. Pide un código nuevo abajo.
error-code-expired = Se ha acabado el tiempo para introducir este código. Pide un código nuevo abajo.
error-exchange-lost = Wise no respondió cuando comprobamos ese código, y un código solo funciona una vez. Pide un código nuevo abajo.
error-wise-unavailable = Wise no responde en este momento. Inténtalo de nuevo dentro de un minuto.
error-busy = Todavía estamos comprobando un código que enviaste. Esta página se actualizará en un momento.
error-customer-limited = Demasiados códigos incorrectos hoy. Podrás volver a intentarlo dentro de { $wait }.
notice-resend-too-soon = Wise acaba de enviar un código. Podrás pedir uno nuevo dentro de { $wait }.
error-resend-limit = Ya has pedido todos los códigos nuevos que se permiten en un día. Podrás volver a pedirlo dentro de { $wait }.
error-other = Esto ya no se puede hacer. Vuelve a empezar desde la aplicación.

## Emails
mail-hello = Hola, { $name }:
mail-finish-subject = Termina de vincular tu cuenta de Wise
mail-finish-intro = Has pedido vincular tu cuenta de Wise con { $partner }. Quedan dos pasos:
mail-finish-step-wise = Busca en tu bandeja de entrada un correo de Wise sobre la conexión de tu cuenta de Wise (llegó más o menos a la vez que este). Abre su enlace e inicia sesión en Wise. Wise te mostrará un código corto, por ejemplo G2s8EJ.
mail-finish-step-enter = Introduce ese código en esta página, o en la aplicación donde empezaste:
mail-finish-until = Puedes introducir el código hasta el { $when }. Si caduca, en la misma página puedes pedir a Wise uno nuevo.
mail-finish-ignore = Si no lo has pedido tú, ignora este correo: sin tu código no se vincula nada. No compartas nunca el código con nadie que te llame o te escriba.
mail-linked-subject = Tu cuenta de Wise está vinculada
mail-linked-existing = Tu cuenta de Wise ({ $email }) ya está vinculada con { $partner }.
mail-linked-created = Se ha abierto una cuenta de Wise para { $email } y ya está vinculada con { $partner }.
mail-linked-withdraw = Puedes retirar este acceso en cualquier momento en los ajustes de tu cuenta de Wise, o pidiendo a { $partner } que la desvincule.
mail-linked-unexpected = Si no has vinculado tú esta cuenta, usa este enlace para desvincularla de inmediato y avisar a { $partner }:
mail-reminder-subject = Recordatorio: termina de vincular tu cuenta de Wise
mail-reminder-intro = Empezaste a vincular tu cuenta de Wise con { $partner }, pero todavía no has introducido el código de Wise.
mail-reminder-step-enter = Busca el correo de Wise sobre la conexión de tu cuenta de Wise, abre su enlace e inicia sesión en Wise; Wise te mostrará un código corto. Introduce ese código en esta página, o en la aplicación donde empezaste:
mail-reminder-expiry = El código de Wise solo vale durante un tiempo limitado. Si ha caducado, en la misma página puedes pedir a Wise uno nuevo.
mail-reminder-once = Este es el único recordatorio. Si ya no quieres vincular tu cuenta, ignora este correo: sin tu código no se vincula nada.
mail-not-linked-subject = No hemos podido vincular tu cuenta de Wise
mail-not-linked-body = No hemos podido vincular tu cuenta de Wise con { $partner }. No se ha compartido nada y tu cuenta de Wise no ha cambiado.
mail-not-linked-help = Si aún quieres vincularla, contacta con { $partner }: te ayudarán.
mail-reconnect-subject = Vuelve a conectar tu cuenta de Wise
mail-reconnect-body = Wise ya no permite a { $partner } usar tu cuenta de Wise, así que la vinculación se ha detenido. Esto ocurre cuando se retira el acceso en los ajustes de Wise, cuando cambian tu correo o tus ajustes de seguridad en Wise, o cuando Wise pide una nueva aprobación.
mail-reconnect-how = Para volver a conectarla, abre la aplicación o la web de { $partner } y elige vincular tu cuenta de Wise de nuevo. Solo lleva un minuto: Wise te pedirá que inicies sesión y lo apruebes.
mail-reconnect-safe = Si no esperabas esto, tu cuenta de Wise está a salvo: no se ha cambiado nada en ella.
mail-privacy = Política de privacidad: { $url }

## The "this wasn't me" page (from the "linked" email)
title-dispute-confirm = ¿Vinculaste tu cuenta de Wise?
title-dispute-done = Desvinculada
title-dispute-reported = Ya informado
title-dispute-ended = No vinculada
title-dispute-expired = Enlace caducado
title-dispute-unknown = Enlace no válido
title-dispute-cross-site = No enviado desde esta página
dispute-confirm-heading = ¿Vinculaste tu cuenta de Wise con { $partner }?
dispute-confirm-intro = Tu cuenta de Wise ({ $email }) está vinculada con { $partner }. Si no lo hiciste tú, desvincúlala ahora: { $partner } ya no podrá usar tu cuenta de Wise y su equipo de soporte investigará lo ocurrido.
dispute-submit = No fui yo: desvincular mi cuenta de Wise
dispute-keep = Si la vinculaste tú, cierra esta página: no cambia nada.
dispute-done-heading = Tu cuenta de Wise está desvinculada
dispute-done-intro = { $partner } ya no puede usar tu cuenta de Wise ({ $email }) y su equipo de soporte investigará lo ocurrido.
dispute-done-advice = Por seguridad, cambia tu contraseña de Wise y revisa en los ajustes de Wise qué aplicaciones están conectadas a tu cuenta.
dispute-reported-heading = Ya nos lo has comunicado
dispute-reported-intro = Tu cuenta de Wise ({ $email }) está desvinculada de { $partner } y su equipo de soporte lo está investigando.
dispute-ended-heading = Tu cuenta de Wise no está vinculada
dispute-ended-intro = Tu cuenta de Wise ({ $email }) ya no está vinculada con { $partner }. Si te preocupa, contacta con { $partner }.
dispute-expired-heading = Este enlace ha caducado
dispute-expired-intro = El enlace del correo vale 30 días. Si no vinculaste tu cuenta de Wise ({ $email }) con { $partner }, contacta con { $partner } de inmediato.
dispute-unknown-heading = Este enlace no es válido
dispute-unknown-intro = Vuelve a abrir el enlace del correo sobre tu cuenta de Wise, tal como se envió. Si te preocupa tu cuenta de Wise, contacta con { $partner }.
dispute-cross-site-heading = Esto no se envió desde esta página
dispute-cross-site-intro = Por tu seguridad, solo el botón de la página del correo puede desvincular tu cuenta. Vuelve a abrir el enlace de ese correo.
