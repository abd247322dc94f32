<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="es_ES" sourcelanguage="en">
<context>
    <name>AttractPage</name>
    <message>
        <source>Welcome screen</source>
        <translation>Pantalla de bienvenida</translation>
    </message>
    <message>
        <source>Face check</source>
        <translation>Comprobación facial</translation>
    </message>
    <message>
        <source>A quick check that a real person is in front of the camera. Look at the screen, move closer when asked and keep still while the screen shows colours. It takes about 10 seconds.</source>
        <translation>Una comprobación rápida de que hay una persona real frente a la cámara. Mire la pantalla, acérquese cuando se le pida y quédese quieto mientras la pantalla muestra colores. Dura unos 10 segundos.</translation>
    </message>
    <message>
        <source>Press any key or touch the screen to start</source>
        <translation>Pulse cualquier tecla o toque la pantalla para empezar</translation>
    </message>
</context>
<context>
    <name>CameraCheckPage</name>
    <message>
        <source>Checking the camera…</source>
        <translation>Comprobando la cámara…</translation>
    </message>
    <message>
        <source>Checking the camera</source>
        <translation>Comprobando la cámara</translation>
    </message>
    <message>
        <source>The camera is being opened and its picture rate measured.</source>
        <translation>Se está abriendo la cámara y midiendo su velocidad de imagen.</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>Cancel the check</source>
        <translation>Cancelar la comprobación</translation>
    </message>
</context>
<context>
    <name>CountdownPage</name>
    <message>
        <source>Look at the screen, an arm&apos;s length away</source>
        <translation>Mire la pantalla, a un brazo de distancia</translation>
    </message>
    <message>
        <source>Countdown</source>
        <translation>Cuenta atrás</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>Cancel the check</source>
        <translation>Cancelar la comprobación</translation>
    </message>
</context>
<context>
    <name>GetReadyPage</name>
    <message>
        <source>Before you start</source>
        <translation>Antes de empezar</translation>
    </message>
    <message>
        <source>How to do the check</source>
        <translation>Cómo hacer la comprobación</translation>
    </message>
    <message>
        <source>Hold the device at eye level, or sit facing the screen, about an arm&apos;s length away.</source>
        <translation>Sostenga el dispositivo a la altura de los ojos, o siéntese frente a la pantalla, a un brazo de distancia.</translation>
    </message>
    <message>
        <source>When asked, move slowly closer until your face fills the oval.</source>
        <translation>Cuando se le pida, acérquese despacio hasta que su cara llene el óvalo.</translation>
    </message>
    <message>
        <source>Keep still while the screen shows colours. It takes a few seconds.</source>
        <translation>Quédese quieto mientras la pantalla muestra colores. Dura unos segundos.</translation>
    </message>
    <message>
        <source>Photosensitivity warning: this check flashes different colours. If you are photosensitive, go back and choose “Movement only”.</source>
        <translation>Aviso de fotosensibilidad: esta comprobación muestra destellos de distintos colores. Si es fotosensible, vuelva atrás y elija «Solo movimiento».</translation>
    </message>
    <message>
        <source>Photosensitivity warning</source>
        <translation>Aviso de fotosensibilidad</translation>
    </message>
    <message>
        <source>Your privacy</source>
        <translation>Su privacidad</translation>
    </message>
    <message>
        <source>Privacy notice</source>
        <translation>Aviso de privacidad</translation>
    </message>
    <message>
        <source>I agree that the camera records me for this check</source>
        <translation>Acepto que la cámara me grabe para esta comprobación</translation>
    </message>
    <message>
        <source>Consent to the recording</source>
        <translation>Consentimiento para la grabación</translation>
    </message>
    <message>
        <source>&amp;Back</source>
        <translation>&amp;Atrás</translation>
    </message>
    <message>
        <source>Back to the start screen</source>
        <translation>Volver a la pantalla de inicio</translation>
    </message>
    <message>
        <source>&amp;Begin</source>
        <translation>&amp;Comenzar</translation>
    </message>
    <message>
        <source>Begin the check</source>
        <translation>Comenzar la comprobación</translation>
    </message>
    <message>
        <source>The camera video of this check, one reference picture of your face, up to %1 more pictures and the result are recorded.</source>
        <translation>Se registran el vídeo de la cámara de esta comprobación, una imagen de referencia de su cara, hasta %1 imágenes más y el resultado.</translation>
    </message>
    <message>
        <source>One reference picture of your face, up to %1 more pictures and the result are recorded; the video is not kept.</source>
        <translation>Se registran una imagen de referencia de su cara, hasta %1 imágenes más y el resultado; el vídeo no se guarda.</translation>
    </message>
    <message>
        <source>They are kept encrypted on this device and used only to confirm that a live person took part.</source>
        <translation>Se guardan cifrados en este dispositivo y solo se usan para confirmar que participó una persona real.</translation>
    </message>
    <message>
        <source>They are deleted after %1 days.</source>
        <translation>Se borran después de %1 días.</translation>
    </message>
    <message>
        <source>They are kept until staff delete them.</source>
        <translation>Se guardan hasta que el personal los borre.</translation>
    </message>
</context>
<context>
    <name>GoodFitPicture</name>
    <message>
        <source>Picture: a face filling the oval on the screen, the screen at eye level</source>
        <translation>Imagen: una cara que llena el óvalo en la pantalla, con la pantalla a la altura de los ojos</translation>
    </message>
</context>
<context>
    <name>Guidance</name>
    <message>
        <source>Start further away: fit your face in the small oval</source>
        <extracomment>Size of the oval before the start-far gate: a face that fills it is far enough away. The fit bar never looks full until the screen says &quot;Hold still&quot;.</extracomment>
        <translation>Empiece más lejos: encaje la cara en el óvalo pequeño</translation>
    </message>
    <message>
        <source>Look straight at the camera and keep your face inside the oval</source>
        <translation>Mire de frente a la cámara y mantenga la cara dentro del óvalo</translation>
    </message>
    <message>
        <source>Step 1 of 2: start further away</source>
        <translation>Paso 1 de 2: empiece más lejos</translation>
    </message>
    <message>
        <source>Good fit: hold still</source>
        <translation>Buen encaje: quédese quieto</translation>
    </message>
    <message>
        <source>Step 2 of 2: fill the oval</source>
        <translation>Paso 2 de 2: llene el óvalo</translation>
    </message>
</context>
<context>
    <name>GuidancePage</name>
    <message>
        <source>Camera preview with the oval</source>
        <translation>Vista previa de la cámara con el óvalo</translation>
    </message>
    <message>
        <source>Look at the camera</source>
        <extracomment>A head-turn cue of the movement-only check is on screen: guidance must not overwrite its instruction.</extracomment>
        <translation>Mire a la cámara</translation>
    </message>
    <message>
        <source>Instruction</source>
        <translation>Instrucción</translation>
    </message>
    <message>
        <source>Notice</source>
        <translation>Aviso</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>Paso</translation>
    </message>
    <message>
        <source>How well your face fills the oval</source>
        <translation>Cuánto llena su cara el óvalo</translation>
    </message>
    <message>
        <source>Keep your face in the oval</source>
        <translation>Mantenga la cara dentro del óvalo</translation>
    </message>
    <message>
        <source>Colours: keep still until they end</source>
        <translation>Colores: quédese quieto hasta que terminen</translation>
    </message>
    <message>
        <source>Progress of the colours</source>
        <translation>Avance de los colores</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Detener</translation>
    </message>
    <message>
        <source>Stop the colours and the check</source>
        <translation>Detener los colores y la comprobación</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>Cancel the check</source>
        <translation>Cancelar la comprobación</translation>
    </message>
    <message>
        <source>Getting ready</source>
        <translation>Preparando</translation>
    </message>
    <message>
        <source>The flashing stopped because your face left the oval. Start again from a little further away.</source>
        <translation>Los destellos se han detenido porque su cara ha salido del óvalo. Vuelva a empezar desde un poco más lejos.</translation>
    </message>
    <message>
        <source>Head movements: follow each arrow</source>
        <translation>Movimientos de cabeza: siga cada flecha</translation>
    </message>
    <message>
        <source>←  Turn your head to your LEFT</source>
        <translation>←  Gire la cabeza hacia su IZQUIERDA</translation>
    </message>
    <message>
        <source>Turn your head to your RIGHT  →</source>
        <translation>Gire la cabeza hacia su DERECHA  →</translation>
    </message>
    <message>
        <source>↑  Tilt your head UP (chin up)</source>
        <translation>↑  Incline la cabeza hacia ARRIBA (barbilla arriba)</translation>
    </message>
    <message>
        <source>↓  Tilt your head DOWN (chin down)</source>
        <translation>↓  Incline la cabeza hacia ABAJO (barbilla abajo)</translation>
    </message>
    <message>
        <source>Look at the screen</source>
        <translation>Mire la pantalla</translation>
    </message>
</context>
<context>
    <name>Hints</name>
    <message>
        <source>Move your face in front of the camera</source>
        <translation>Coloque la cara delante de la cámara</translation>
    </message>
    <message>
        <source>Make sure only one face is in front of the camera</source>
        <translation>Asegúrese de que solo haya una cara delante de la cámara</translation>
    </message>
    <message>
        <source>It is too dark: turn on a light in front of you</source>
        <translation>Hay demasiado poca luz: encienda una luz delante de usted</translation>
    </message>
    <message>
        <source>It is too bright: move out of direct light</source>
        <translation>Hay demasiada luz: apártese de la luz directa</translation>
    </message>
    <message>
        <source>The light is behind you: turn so the light falls on your face</source>
        <translation>La luz está detrás de usted: gírese para que la luz le dé en la cara</translation>
    </message>
    <message>
        <source>Too close: move back</source>
        <translation>Demasiado cerca: aléjese</translation>
    </message>
    <message>
        <source>Move back</source>
        <translation>Aléjese</translation>
    </message>
    <message>
        <source>Move closer</source>
        <translation>Acérquese</translation>
    </message>
    <message>
        <source>Your face is not in the oval: centre your face</source>
        <translation>Su cara no está en el óvalo: céntrela</translation>
    </message>
    <message>
        <source>The picture is blurred: hold still, or clean the camera lens</source>
        <translation>La imagen está borrosa: no se mueva o limpie la lente de la cámara</translation>
    </message>
    <message>
        <source>Hold still</source>
        <translation>No se mueva</translation>
    </message>
</context>
<context>
    <name>HistoryPage</name>
    <message>
        <source>Session history</source>
        <extracomment>Most sessions one search shows (newest first).</extracomment>
        <translation>Historial de sesiones</translation>
    </message>
    <message>
        <source>Created on or after</source>
        <translation>Creadas a partir del</translation>
    </message>
    <message>
        <source>Created on or before</source>
        <translation>Creadas hasta el</translation>
    </message>
    <message>
        <source>&amp;From:</source>
        <translation>&amp;Desde:</translation>
    </message>
    <message>
        <source>T&amp;o:</source>
        <translation>&amp;Hasta:</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Estado</translation>
    </message>
    <message>
        <source>Any status</source>
        <translation>Cualquier estado</translation>
    </message>
    <message>
        <source>&amp;Status:</source>
        <translation>E&amp;stado:</translation>
    </message>
    <message>
        <source>Customer reference</source>
        <translation>Referencia del cliente</translation>
    </message>
    <message>
        <source>exact reference; empty for all</source>
        <translation>referencia exacta; vacío para todas</translation>
    </message>
    <message>
        <source>Clear the customer reference</source>
        <translation>Borrar la referencia del cliente</translation>
    </message>
    <message>
        <source>&amp;Customer reference:</source>
        <translation>&amp;Referencia del cliente:</translation>
    </message>
    <message>
        <source>Sea&amp;rch</source>
        <translation>&amp;Buscar</translation>
    </message>
    <message>
        <source>Search the sessions</source>
        <translation>Buscar las sesiones</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>Creada</translation>
    </message>
    <message>
        <source>Decision</source>
        <translation>Decisión</translation>
    </message>
    <message>
        <source>Operator reference</source>
        <translation>Referencia del operador</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Motivo</translation>
    </message>
    <message>
        <source>Sessions, newest first</source>
        <translation>Sesiones, las más recientes primero</translation>
    </message>
    <message>
        <source>Select all sessions</source>
        <translation>Seleccionar todas las sesiones</translation>
    </message>
    <message>
        <source>No session selected</source>
        <translation>Ninguna sesión seleccionada</translation>
    </message>
    <message>
        <source>Session details</source>
        <translation>Detalles de la sesión</translation>
    </message>
    <message>
        <source>Reference image of the selected session</source>
        <translation>Imagen de referencia de la sesión seleccionada</translation>
    </message>
    <message>
        <source>Reasons</source>
        <translation>Motivos</translation>
    </message>
    <message>
        <source>Reasons of the result</source>
        <translation>Motivos del resultado</translation>
    </message>
    <message>
        <source>History message</source>
        <translation>Mensaje del historial</translation>
    </message>
    <message>
        <source>Number of sessions found</source>
        <translation>Número de sesiones encontradas</translation>
    </message>
    <message>
        <source>&amp;Export selected…</source>
        <translation>E&amp;xportar selección…</translation>
    </message>
    <message>
        <source>Export the selected sessions as a ZIP file</source>
        <translation>Exportar las sesiones seleccionadas como archivo ZIP</translation>
    </message>
    <message>
        <source>&amp;Delete selected…</source>
        <translation>&amp;Eliminar selección…</translation>
    </message>
    <message>
        <source>Delete the selected sessions for good</source>
        <translation>Eliminar definitivamente las sesiones seleccionadas</translation>
    </message>
    <message>
        <source>&amp;Back</source>
        <translation>&amp;Volver</translation>
    </message>
    <message>
        <source>Back to the start screen</source>
        <translation>Volver a la pantalla de inicio</translation>
    </message>
    <message>
        <source>In progress</source>
        <translation>En curso</translation>
    </message>
    <message>
        <source>Completed</source>
        <translation>Completada</translation>
    </message>
    <message>
        <source>Failed (no score)</source>
        <translation>Fallida (sin puntuación)</translation>
    </message>
    <message>
        <source>Expired</source>
        <translation>Caducada</translation>
    </message>
    <message>
        <source>Error</source>
        <translation>Error</translation>
    </message>
    <message>
        <source>Pass</source>
        <translation>Aprobada</translation>
    </message>
    <message>
        <source>Fail</source>
        <translation>Rechazada</translation>
    </message>
    <message>
        <source>The “From” date is after the “To” date.</source>
        <translation>La fecha «Desde» es posterior a la fecha «Hasta».</translation>
    </message>
    <message>
        <source>The sessions could not be read.</source>
        <translation>No se han podido leer las sesiones.</translation>
    </message>
    <message>
        <source>Unverified</source>
        <translation>Sin verificar</translation>
    </message>
    <message>
        <source>1 session found.</source>
        <translation>Se ha encontrado 1 sesión.</translation>
    </message>
    <message>
        <source>%1 sessions found.</source>
        <translation>Se han encontrado %1 sesiones.</translation>
    </message>
    <message>
        <source>Only the newest %1 are shown; narrow the search to see older ones.</source>
        <translation>Solo se muestran las %1 más recientes; acote la búsqueda para ver las anteriores.</translation>
    </message>
    <message>
        <source>The stored data of this session failed its integrity check: it was altered or damaged.</source>
        <translation>Los datos guardados de esta sesión no han superado la comprobación de integridad: se han alterado o están dañados.</translation>
    </message>
    <message>
        <source>This session no longer exists (it was deleted or purged).</source>
        <translation>Esta sesión ya no existe (se eliminó o se purgó).</translation>
    </message>
    <message>
        <source>This session could not be read.</source>
        <translation>No se ha podido leer esta sesión.</translation>
    </message>
    <message>
        <source>Session: %1</source>
        <translation>Sesión: %1</translation>
    </message>
    <message>
        <source>Confidence: %1 (threshold %2)</source>
        <translation>Confianza: %1 (umbral %2)</translation>
    </message>
    <message>
        <source>movement and light</source>
        <translation>movimiento y luz</translation>
    </message>
    <message>
        <source>movement only</source>
        <translation>solo movimiento</translation>
    </message>
    <message>
        <source>Check: %1</source>
        <translation>Comprobación: %1</translation>
    </message>
    <message>
        <source>Created: %1</source>
        <translation>Creada: %1</translation>
    </message>
    <message>
        <source>Started: %1</source>
        <translation>Iniciada: %1</translation>
    </message>
    <message>
        <source>Finished: %1</source>
        <translation>Terminada: %1</translation>
    </message>
    <message>
        <source>Customer reference: %1</source>
        <translation>Referencia del cliente: %1</translation>
    </message>
    <message>
        <source>Operator reference: %1</source>
        <translation>Referencia del operador: %1</translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation>Motivo: %1</translation>
    </message>
    <message>
        <source>Select one or more sessions first.</source>
        <translation>Seleccione primero una o varias sesiones.</translation>
    </message>
    <message>
        <source>Export sessions</source>
        <translation>Exportar sesiones</translation>
    </message>
    <message>
        <source>ZIP archives (*.zip)</source>
        <translation>Archivos ZIP (*.zip)</translation>
    </message>
    <message>
        <source>Exporting…</source>
        <translation>Exportando…</translation>
    </message>
    <message>
        <source>The export failed.</source>
        <translation>La exportación ha fallado.</translation>
    </message>
    <message>
        <source>1 session exported to %1.</source>
        <translation>1 sesión exportada a %1.</translation>
    </message>
    <message>
        <source>%1 sessions exported to %2.</source>
        <translation>%1 sesiones exportadas a %2.</translation>
    </message>
    <message>
        <source>Delete sessions</source>
        <translation>Eliminar sesiones</translation>
    </message>
    <message>
        <source>Delete the selected session for good? Its images and recording are removed and cannot be restored.</source>
        <translation>¿Eliminar definitivamente la sesión seleccionada? Sus imágenes y su grabación se borran y no se pueden recuperar.</translation>
    </message>
    <message>
        <source>Delete %1 sessions for good? Their images and recordings are removed and cannot be restored.</source>
        <translation>¿Eliminar definitivamente %1 sesiones? Sus imágenes y grabaciones se borran y no se pueden recuperar.</translation>
    </message>
    <message>
        <source>&amp;Delete</source>
        <translation>&amp;Eliminar</translation>
    </message>
    <message>
        <source>Delete the sessions for good</source>
        <translation>Eliminar las sesiones definitivamente</translation>
    </message>
    <message>
        <source>&amp;Keep</source>
        <translation>&amp;Conservar</translation>
    </message>
    <message>
        <source>Keep the sessions</source>
        <translation>Conservar las sesiones</translation>
    </message>
    <message>
        <source>Deleting failed.</source>
        <translation>La eliminación ha fallado.</translation>
    </message>
    <message>
        <source>1 session deleted.</source>
        <translation>1 sesión eliminada.</translation>
    </message>
    <message>
        <source>%1 sessions deleted.</source>
        <translation>%1 sesiones eliminadas.</translation>
    </message>
</context>
<context>
    <name>ImageDialog</name>
    <message>
        <source>Close</source>
        <translation>Cerrar</translation>
    </message>
    <message>
        <source>Close the enlarged image</source>
        <translation>Cerrar la imagen ampliada</translation>
    </message>
</context>
<context>
    <name>LockoutPage</name>
    <message>
        <source>Checks are paused</source>
        <translation>Las comprobaciones están en pausa</translation>
    </message>
    <message>
        <source>Why checks are paused</source>
        <translation>Por qué las comprobaciones están en pausa</translation>
    </message>
    <message>
        <source>Note for staff</source>
        <translation>Nota para el personal</translation>
    </message>
    <message>
        <source>&amp;Back to start</source>
        <translation>&amp;Volver al inicio</translation>
    </message>
    <message>
        <source>Back to the start screen</source>
        <translation>Volver a la pantalla de inicio</translation>
    </message>
    <message>
        <source>&amp;Operator override…</source>
        <translation>Desbloqueo por el &amp;operador…</translation>
    </message>
    <message>
        <source>End the pause with the operator PIN</source>
        <translation>Terminar la pausa con el PIN del operador</translation>
    </message>
    <message>
        <source>Too many failed checks on this device. Try again in 1 minute.</source>
        <translation>Demasiadas comprobaciones fallidas en este dispositivo. Inténtelo de nuevo dentro de 1 minuto.</translation>
    </message>
    <message>
        <source>Too many failed checks on this device. Try again in %1 minutes.</source>
        <translation>Demasiadas comprobaciones fallidas en este dispositivo. Inténtelo de nuevo dentro de %1 minutos.</translation>
    </message>
    <message>
        <source>Staff can end the pause early with the operator PIN.</source>
        <translation>El personal puede terminar la pausa antes con el PIN del operador.</translation>
    </message>
    <message>
        <source>No operator PIN is set on this device, so the pause cannot be ended early.</source>
        <translation>En este dispositivo no hay ningún PIN de operador, así que la pausa no se puede terminar antes.</translation>
    </message>
    <message>
        <source>Checks on this device are paused until a member of staff confirms it with the operator PIN.</source>
        <translation>Las comprobaciones en este dispositivo están en pausa hasta que un miembro del personal lo confirme con el PIN de operador.</translation>
    </message>
</context>
<context>
    <name>Main</name>
    <message>
        <source>Livegate cannot start</source>
        <extracomment>Environment switch for the local API when ``--api``/``--no-api`` is not given (``1``/``0``).</extracomment>
        <translation>Livegate no puede iniciarse</translation>
    </message>
    <message>
        <source>The session store cannot be opened, so no check could be recorded:
%1</source>
        <translation>No se puede abrir el almacén de sesiones, así que no se podría registrar ninguna comprobación:
%1</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Livegate face check</source>
        <extracomment>Checks the current customer has made (a new customer starts from the start screen).
----------
Seconds of the 3-2-1 countdown before the camera starts. The staff view on a second screen (setting ``staff_screen``), while one exists.</extracomment>
        <translation>Livegate: comprobación facial</translation>
    </message>
    <message>
        <source>Enter the operator PIN to change the lock-out settings.</source>
        <translation>Introduzca el PIN de operador para cambiar los ajustes de bloqueo.</translation>
    </message>
    <message>
        <source>Enter the operator PIN to see the evidence.</source>
        <translation>Introduzca el PIN de operador para ver las pruebas.</translation>
    </message>
    <message>
        <source>Enter the operator PIN to end the pause.</source>
        <translation>Introduzca el PIN del operador para terminar la pausa.</translation>
    </message>
</context>
<context>
    <name>OperatorMenu</name>
    <message>
        <source>Operator menu</source>
        <translation>Menú del operador</translation>
    </message>
    <message>
        <source>The operator PIN is shorter than 6 digits. Please set a new PIN in the settings.</source>
        <translation>El PIN de operador tiene menos de 6 dígitos. Defina un PIN nuevo en los ajustes.</translation>
    </message>
    <message>
        <source>Operator notice</source>
        <translation>Aviso para el operador</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Ajustes…</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Ajustes</translation>
    </message>
    <message>
        <source>Session &amp;history…</source>
        <translation>&amp;Historial de sesiones…</translation>
    </message>
    <message>
        <source>Session history</source>
        <translation>Historial de sesiones</translation>
    </message>
    <message>
        <source>E&amp;xit kiosk</source>
        <translation>&amp;Salir del quiosco</translation>
    </message>
    <message>
        <source>Exit the kiosk application</source>
        <translation>Salir de la aplicación de quiosco</translation>
    </message>
    <message>
        <source>&amp;Back</source>
        <translation>&amp;Volver</translation>
    </message>
    <message>
        <source>Back to the kiosk</source>
        <translation>Volver al quiosco</translation>
    </message>
</context>
<context>
    <name>PinDialog</name>
    <message>
        <source>Operator access</source>
        <extracomment>Key sequence that opens the operator PIN prompt in kiosk mode.</extracomment>
        <translation>Acceso del operador</translation>
    </message>
    <message>
        <source>Operator access message</source>
        <translation>Mensaje de acceso del operador</translation>
    </message>
    <message>
        <source>Operator PIN</source>
        <translation>PIN del operador</translation>
    </message>
    <message>
        <source>Check the PIN</source>
        <translation>Comprobar el PIN</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Cancelar</translation>
    </message>
    <message>
        <source>Enter the operator PIN.</source>
        <translation>Introduzca el PIN del operador.</translation>
    </message>
    <message>
        <source>No operator PIN is set, so this cannot be done here. Set a PIN in the settings.</source>
        <translation>No hay ningún PIN de operador, así que esto no se puede hacer aquí. Defina un PIN en los ajustes.</translation>
    </message>
    <message>
        <source>No operator PIN is set: anyone can open this menu. Set a PIN in the settings.</source>
        <translation>No hay ningún PIN de operador: cualquiera puede abrir este menú. Defina un PIN en los ajustes.</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Comprobando…</translation>
    </message>
    <message>
        <source>Too many wrong PINs. Try again in %1 s.</source>
        <translation>Demasiados PIN incorrectos. Vuelva a intentarlo en %1 s.</translation>
    </message>
    <message>
        <source>Wrong PIN. Try again.</source>
        <translation>PIN incorrecto. Inténtelo de nuevo.</translation>
    </message>
</context>
<context>
    <name>PinSetupDialog</name>
    <message>
        <source>Set the operator PIN</source>
        <translation>Definir el PIN del operador</translation>
    </message>
    <message>
        <source>Kiosk mode needs an operator PIN: it opens the operator menu and ends the pause that follows repeated failed checks. Choose a PIN of 4 to 64 characters.</source>
        <translation>El modo quiosco necesita un PIN del operador: abre el menú del operador y termina la pausa que sigue a varias comprobaciones fallidas. Elija un PIN de 4 a 64 caracteres.</translation>
    </message>
    <message>
        <source>New operator PIN</source>
        <translation>Nuevo PIN del operador</translation>
    </message>
    <message>
        <source>New PIN</source>
        <translation>Nuevo PIN</translation>
    </message>
    <message>
        <source>Repeat the new operator PIN</source>
        <translation>Repita el nuevo PIN del operador</translation>
    </message>
    <message>
        <source>Repeat the PIN</source>
        <translation>Repita el PIN</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Mensaje</translation>
    </message>
    <message>
        <source>The two PINs differ. Type the same PIN twice.</source>
        <translation>Los dos PIN son distintos. Escriba el mismo PIN dos veces.</translation>
    </message>
    <message>
        <source>A PIN needs 4 to 64 characters.</source>
        <translation>Un PIN necesita de 4 a 64 caracteres.</translation>
    </message>
    <message>
        <source>The PIN could not be saved: %1</source>
        <translation>No se pudo guardar el PIN: %1</translation>
    </message>
</context>
<context>
    <name>Plots</name>
    <message>
        <source>nose residual, median of %1 far/near pairs: %2</source>
        <extracomment>Landmarks used for the planar prediction of the nose tip (eye corners, mouth corners) and the nose tip.</extracomment>
        <translation>residuo de la nariz, mediana de %1 pares lejos/cerca: %2</translation>
    </message>
    <message>
        <source>eye distance</source>
        <translation>distancia entre ojos</translation>
    </message>
    <message>
        <source>centre drift</source>
        <translation>desvío del centro</translation>
    </message>
    <message>
        <source>nose residual</source>
        <translation>residuo de la nariz</translation>
    </message>
    <message>
        <source>peak %1 eye distances</source>
        <translation>máximo %1 distancias entre ojos</translation>
    </message>
</context>
<context>
    <name>ProblemPage</name>
    <message>
        <source>What happened</source>
        <extracomment>Problems another try on the same camera and installation cannot fix: &quot;Back to start&quot; is the main action.</extracomment>
        <translation>Qué ha pasado</translation>
    </message>
    <message>
        <source>Technical detail</source>
        <translation>Detalle técnico</translation>
    </message>
    <message>
        <source>Note for staff</source>
        <translation>Nota para el personal</translation>
    </message>
    <message>
        <source>Staff view</source>
        <translation>Vista del personal</translation>
    </message>
    <message>
        <source>&amp;Staff view…</source>
        <translation>&amp;Vista del personal…</translation>
    </message>
    <message>
        <source>Show the evidence for staff</source>
        <translation>Mostrar las pruebas al personal</translation>
    </message>
    <message>
        <source>&amp;Back to start</source>
        <translation>&amp;Volver al inicio</translation>
    </message>
    <message>
        <source>Back to the start screen</source>
        <translation>Volver a la pantalla de inicio</translation>
    </message>
    <message>
        <source>&amp;Try again</source>
        <translation>&amp;Intentar de nuevo</translation>
    </message>
    <message>
        <source>Try again with a new check</source>
        <translation>Intentarlo de nuevo con una comprobación nueva</translation>
    </message>
    <message>
        <source>&amp;Hide staff view</source>
        <translation>&amp;Ocultar la vista del personal</translation>
    </message>
    <message>
        <source>Hide the evidence for staff</source>
        <translation>Ocultar las pruebas del personal</translation>
    </message>
    <message>
        <source>For staff: a virtual camera can feed a prepared video instead of the person. Check this device and its camera.</source>
        <translation>Para el personal: una cámara virtual puede enviar un vídeo preparado en lugar de la persona. Revise este dispositivo y su cámara.</translation>
    </message>
    <message>
        <source>For staff: this kiosk is pinned to one camera, and another source was about to be used. Reconnect the kiosk&apos;s own camera; if it was replaced, pin the new one (livegate devices --pin).</source>
        <translation>Para el personal: este quiosco está vinculado a una sola cámara y se iba a usar otra fuente. Vuelva a conectar la cámara propia del quiosco; si se sustituyó, vincule la nueva (livegate devices --pin).</translation>
    </message>
    <message>
        <source>No decision</source>
        <translation>Sin decisión</translation>
    </message>
    <message>
        <source>Nothing pointed at a screen, a print or a device before the check stopped.</source>
        <translation>Nada apuntaba a una pantalla, una impresión o un dispositivo antes de que la comprobación se detuviera.</translation>
    </message>
    <message>
        <source>Before another try, check this device; if in doubt, check the identity manually.</source>
        <translation>Antes de otro intento, revise este dispositivo; en caso de duda, compruebe la identidad manualmente.</translation>
    </message>
    <message>
        <source>Returning to the start screen in %1 s</source>
        <translation>Volviendo a la pantalla de inicio en %1 s</translation>
    </message>
</context>
<context>
    <name>Problems</name>
    <message>
        <source>No camera found</source>
        <translation>No se ha encontrado ninguna cámara</translation>
    </message>
    <message>
        <source>No camera is connected, or the chosen camera is not available. Connect a camera, then try again.</source>
        <translation>No hay ninguna cámara conectada o la cámara elegida no está disponible. Conecte una cámara e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>The camera cannot be opened</source>
        <translation>No se puede abrir la cámara</translation>
    </message>
    <message>
        <source>Another program may be using the camera, or access to it was denied. Close other camera apps, allow camera access, then try again.</source>
        <translation>Puede que otro programa esté usando la cámara o que se haya denegado el acceso. Cierre las otras aplicaciones de cámara, permita el acceso a la cámara e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>Virtual camera refused</source>
        <translation>Cámara virtual rechazada</translation>
    </message>
    <message>
        <source>This camera is not allowed here</source>
        <translation>Esta cámara no está permitida aquí</translation>
    </message>
    <message>
        <source>This kiosk works only with the camera it was set up with. Please ask a member of staff.</source>
        <translation>Este quiosco solo funciona con la cámara con la que se configuró. Pida ayuda a un miembro del personal.</translation>
    </message>
    <message>
        <source>The chosen camera looks like a virtual camera. Only real cameras are accepted. Choose another camera.</source>
        <translation>La cámara elegida parece una cámara virtual. Solo se aceptan cámaras reales. Elija otra cámara.</translation>
    </message>
    <message>
        <source>The camera picture is too small</source>
        <translation>La imagen de la cámara es demasiado pequeña</translation>
    </message>
    <message>
        <source>This check needs a camera with at least 320 × 240 pixels. Use another camera, then try again.</source>
        <translation>Esta comprobación necesita una cámara de al menos 320 × 240 píxeles. Use otra cámara e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>The camera is too slow</source>
        <translation>La cámara es demasiado lenta</translation>
    </message>
    <message>
        <source>This check needs at least 15 pictures per second. Add light (cameras slow down in the dark) or use another camera, then try again.</source>
        <translation>Esta comprobación necesita al menos 15 imágenes por segundo. Añada luz (las cámaras van más lentas en la oscuridad) o use otra cámara e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>The camera stopped</source>
        <translation>La cámara se ha detenido</translation>
    </message>
    <message>
        <source>The camera stopped sending pictures. Check its cable or close other camera apps, then try again.</source>
        <translation>La cámara ha dejado de enviar imágenes. Compruebe el cable o cierre las otras aplicaciones de cámara e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>The face model is missing</source>
        <translation>Falta el modelo facial</translation>
    </message>
    <message>
        <source>The app could not load its face model. Ask staff to run the set-up again.</source>
        <translation>La aplicación no ha podido cargar su modelo facial. Pida al personal que vuelva a ejecutar la instalación.</translation>
    </message>
    <message>
        <source>Your face didn&apos;t fit inside the oval in time.</source>
        <translation>Su cara no ha encajado en el óvalo a tiempo.</translation>
    </message>
    <message>
        <source>Time out</source>
        <translation>Tiempo agotado</translation>
    </message>
    <message>
        <source>Verification took too long</source>
        <translation>La verificación ha tardado demasiado</translation>
    </message>
    <message>
        <source>The check could not be completed in time. Nothing was decided. Please try again.</source>
        <translation>La comprobación no se ha podido completar a tiempo. No se ha decidido nada. Inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>Something went wrong</source>
        <translation>Algo ha salido mal</translation>
    </message>
    <message>
        <source>An unexpected problem stopped the check. Nothing was decided. Please try again.</source>
        <translation>Un problema inesperado ha detenido la comprobación. No se ha decidido nada. Inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>No face was seen: sit in front of the camera.</source>
        <translation>No se ha visto ninguna cara: siéntese delante de la cámara.</translation>
    </message>
    <message>
        <source>More than one face was seen: only the person being checked may be in view.</source>
        <translation>Se ha visto más de una cara: solo puede verse la persona que se comprueba.</translation>
    </message>
    <message>
        <source>The lighting was not good enough: find even light on your face.</source>
        <translation>La iluminación no era suficiente: busque una luz uniforme sobre su cara.</translation>
    </message>
    <message>
        <source>The picture was blurred: clean the camera lens.</source>
        <translation>La imagen estaba borrosa: limpie la lente de la cámara.</translation>
    </message>
    <message>
        <source>Start about an arm&apos;s length away, then move closer until your face fills the oval.</source>
        <translation>Empiece a un brazo de distancia y luego acérquese hasta que su cara llene el óvalo.</translation>
    </message>
    <message>
        <source>Start further away, then move closer until your face fills the oval.</source>
        <translation>Empiece más lejos y luego acérquese hasta que su cara llene el óvalo.</translation>
    </message>
    <message>
        <source>Keep your face inside the oval.</source>
        <translation>Mantenga la cara dentro del óvalo.</translation>
    </message>
    <message>
        <source>The result could not be saved</source>
        <translation>No se ha podido guardar el resultado</translation>
    </message>
    <message>
        <source>The check could not be saved on this device, so it does not count and nothing was decided. Please try again, or ask staff for help.</source>
        <translation>La comprobación no se ha podido guardar en este dispositivo, así que no cuenta y no se ha decidido nada. Inténtelo de nuevo o pida ayuda al personal.</translation>
    </message>
    <message>
        <source>The check was ended elsewhere</source>
        <translation>La comprobación se ha terminado desde otro lugar</translation>
    </message>
    <message>
        <source>This check was ended or deleted by another program before its result was saved. It does not count. Please try again.</source>
        <translation>Otro programa ha terminado o eliminado esta comprobación antes de que se guardara su resultado. No cuenta. Inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>The check cannot start</source>
        <translation>La comprobación no puede empezar</translation>
    </message>
    <message>
        <source>The check could not be recorded on this device, so it was not started. Please try again, or ask staff for help.</source>
        <translation>La comprobación no se ha podido registrar en este dispositivo, así que no se ha iniciado. Inténtelo de nuevo o pida ayuda al personal.</translation>
    </message>
</context>
<context>
    <name>Reasons</name>
    <message>
        <source>No frame before the colours showed the face with enough room around it for the texture model, so skin texture was not checked (this lowers the confidence).</source>
        <translation>Ningún fotograma anterior a los colores mostró la cara con espacio suficiente alrededor para el modelo de textura, así que no se comprobó la textura de la piel (esto reduce la confianza).</translation>
    </message>
    <message>
        <source>No head-turn cues were part of this check.</source>
        <translation>Esta comprobación no incluía indicaciones de giro de cabeza.</translation>
    </message>
    <message>
        <source>The head-turn cues were not all shown, so the movement could not be judged.</source>
        <translation>No se mostraron todas las indicaciones de giro de cabeza, así que no se pudo juzgar el movimiento.</translation>
    </message>
    <message>
        <source>The face was not in view around head-turn cue {cue}, so the movement could not be judged.</source>
        <translation>La cara no estaba a la vista en torno a la indicación de giro {cue}, así que no se pudo juzgar el movimiento.</translation>
    </message>
    <message>
        <source>The face turned on each cue, but its nose moved too little for how far it turned (depth {depth:.2f}, a head shows at least {min_depth:.2f}): a bent photo turned as a whole rather than a head.</source>
        <translation>La cara giró en cada indicación, pero su nariz se movió demasiado poco para lo que giró (profundidad {depth:.2f}; una cabeza muestra al menos {min_depth:.2f}): una foto curvada girada entera, no una cabeza.</translation>
    </message>
    <message>
        <source>The head turned to each cued side a human reaction time after the cue, with the nose moving against the face outline as a real 3D head does.</source>
        <translation>La cabeza giró hacia cada lado indicado con un tiempo de reacción humano, y la nariz se movió respecto al contorno de la cara como en una cabeza real en 3D.</translation>
    </message>
    <message>
        <source>The face did not move toward the cued side ({direction}) after cue {cue} with the parallax of a 3D head (a photo or screen turned as a whole, or a face that did not follow the cue).</source>
        <translation>La cara no se movió hacia el lado indicado ({direction}) tras la indicación {cue} con el paralaje de una cabeza en 3D (una foto o pantalla girada entera, o una cara que no siguió la indicación).</translation>
    </message>
    <message>
        <source>The face was flat when {axis} (its nose stood out {depth:.2f} against the rest of the face, a head&apos;s at least {min_depth:.2f}): a photo bent around one axis, which paper can be, rather than a head, which is curved both ways.</source>
        <translation>La cara era plana al {axis} (su nariz sobresalió {depth:.2f} respecto al resto de la cara; la de una cabeza, al menos {min_depth:.2f}): una foto curvada en un solo eje, como puede curvarse el papel, no una cabeza, que es curva en ambos sentidos.</translation>
    </message>
    <message>
        <source>The face moved too little when {axis} to tell a head from a bent photo, so the movement could not be judged.</source>
        <translation>La cara se movió demasiado poco al {axis} para distinguir una cabeza de una foto curvada, así que no se pudo juzgar el movimiento.</translation>
    </message>
    <message>
        <source>The face turned {latency:.0f} ms after cue {cue}, outside a human reaction time ({low:.0f}-{high:.0f} ms).</source>
        <translation>La cara giró {latency:.0f} ms después de la indicación {cue}, fuera de un tiempo de reacción humano ({low:.0f}-{high:.0f} ms).</translation>
    </message>
    <message>
        <source>The face turned the cued way ({direction}) on cue {cue}, but {latency:.0f} ms after it, later than a check accepts ({high:.0f} ms), so the movement could not be judged. Please move as soon as the cue appears.</source>
        <translation>La cara giró hacia el lado indicado ({direction}) en la indicación {cue}, pero {latency:.0f} ms después de ella, más tarde de lo que acepta una comprobación ({high:.0f} ms), así que no se pudo juzgar el movimiento. Muévase en cuanto aparezca la indicación.</translation>
    </message>
    <message>
        <source>The head moved {count} times while no cue asked for that movement (the first {movement} {when:.0f} ms after the first cue): a recording of another check moving on its own cues rather than answers to this one.</source>
        <translation>La cabeza se movió {count} veces sin que ninguna indicación pidiera ese movimiento (el primero: {movement}, {when:.0f} ms después de la primera indicación): una grabación de otra comprobación que se mueve según sus propias indicaciones, no respuestas a esta.</translation>
    </message>
    <message>
        <source>The head {movement} while no cue asked for it ({when:.0f} ms after the first cue), so its answers could not be told from a recording&apos;s. Please face the screen between the cues and move only when asked.</source>
        <translation>La cabeza hizo un movimiento ({movement}) sin que ninguna indicación lo pidiera ({when:.0f} ms después de la primera indicación), así que sus respuestas no se pudieron distinguir de las de una grabación. Mire a la pantalla entre las indicaciones y muévase solo cuando se le pida.</translation>
    </message>
    <message>
        <source>left</source>
        <translation>izquierda</translation>
    </message>
    <message>
        <source>right</source>
        <translation>derecha</translation>
    </message>
    <message>
        <source>up</source>
        <translation>arriba</translation>
    </message>
    <message>
        <source>down</source>
        <translation>abajo</translation>
    </message>
    <message>
        <source>turned left</source>
        <translation>giro a la izquierda</translation>
    </message>
    <message>
        <source>turned right</source>
        <translation>giro a la derecha</translation>
    </message>
    <message>
        <source>nodded up</source>
        <translation>cabeceo hacia arriba</translation>
    </message>
    <message>
        <source>nodded down</source>
        <translation>cabeceo hacia abajo</translation>
    </message>
    <message>
        <source>turning</source>
        <translation>girar</translation>
    </message>
    <message>
        <source>nodding</source>
        <translation>asentir</translation>
    </message>
    <message>
        <source>The {name} check could not be computed.</source>
        <translation>No se pudo calcular la comprobación {name}.</translation>
    </message>
    <message>
        <source>The {name} check did not run.</source>
        <translation>La comprobación {name} no se ejecutó.</translation>
    </message>
    <message>
        <source>A check that could not be made never counts as passed.</source>
        <translation>Una comprobación que no se pudo hacer nunca cuenta como superada.</translation>
    </message>
    <message>
        <source>The combined evidence (confidence {confidence:.0f}) is above the threshold {threshold:.0f}, but {count} check{plural} raised a concern worth a look at the audit images.</source>
        <translation>La evidencia combinada (confianza {confidence:.0f}) supera el umbral {threshold:.0f}, pero hubo comprobaciones con dudas ({count}); conviene mirar las imágenes de auditoría.</translation>
    </message>
    <message>
        <source>All required checks passed.</source>
        <translation>Se superaron todas las comprobaciones necesarias.</translation>
    </message>
    <message>
        <source>Concern: {reason}</source>
        <translation>Duda: {reason}</translation>
    </message>
    <message>
        <source>The overall confidence {confidence:.0f} is below the threshold {threshold:.0f}.</source>
        <translation>La confianza global {confidence:.0f} está por debajo del umbral {threshold:.0f}.</translation>
    </message>
    <message>
        <source>The capture quality may have hidden the face&apos;s colour response: {tips}, then try again.</source>
        <translation>La calidad de la captura pudo ocultar la respuesta de color del rostro: {tips}; después, vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>The room was dark (the screen was the main light on the face), where this check is least certain: turn on a room light in front of the person and try again.</source>
        <translation>La sala estaba oscura (la pantalla era la luz principal sobre el rostro), donde esta comprobación es menos fiable: encienda una luz de la sala delante de la persona y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>This session had no colour challenge (movement only), so light was not checked.</source>
        <translation>Esta sesión no tenía reto de colores (solo movimiento), así que no se comprobó la luz.</translation>
    </message>
    <message>
        <source>The times at which the colours appeared were not recorded, so light could not be checked.</source>
        <translation>No se registraron los momentos en que aparecieron los colores, así que no se pudo comprobar la luz.</translation>
    </message>
    <message>
        <source>Too few frames with a face were captured while the colours were shown, so light could not be checked.</source>
        <translation>Se captaron muy pocas imágenes con un rostro mientras se mostraban los colores, así que no se pudo comprobar la luz.</translation>
    </message>
    <message>
        <source>The face was over-exposed while the colours were shown ({clipped:.0%} of it clipped white), so it could not show the colours: reduce the light falling on the face and try again.</source>
        <translation>El rostro estaba sobreexpuesto mientras se mostraban los colores ({clipped:.0%} saturado en blanco), así que no pudo mostrar los colores: reduzca la luz que cae sobre el rostro y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>The face changed colour {lag:.0f} ms after the screen did, later than a real camera can be: the colour response looks forged.</source>
        <translation>El rostro cambió de color {lag:.0f} ms después que la pantalla, más tarde de lo que puede una cámara real: la respuesta de color parece falsificada.</translation>
    </message>
    <message>
        <source>The face did not change colour with this session&apos;s light sequence (a replayed or injected video shows another sequence or none).</source>
        <translation>El rostro no cambió de color con la secuencia de luz de esta sesión (un vídeo reproducido o inyectado muestra otra secuencia o ninguna).</translation>
    </message>
    <message>
        <source>The face&apos;s colour did not follow this session&apos;s colours clearly (as if another check&apos;s colours were shown), yet the light crossed the face in this session&apos;s order ({agree} of {usable} colours): the evidence disagrees, so no decision. Try again, holding still while the colours show.</source>
        <translation>El color del rostro no siguió con claridad los colores de esta sesión (como si se mostraran los colores de otra comprobación), pero la luz recorrió el rostro en el orden de esta sesión ({agree} de {usable} colores): las pruebas no concuerdan, así que no hay decisión. Vuelva a intentarlo sin moverse mientras se muestran los colores.</translation>
    </message>
    <message>
        <source>Besides this session&apos;s colours, the face changed colour in a pattern of its own (as a screen replaying another check does).</source>
        <translation>Además de los colores de esta sesión, el rostro cambió de color con un patrón propio (como ocurre con una pantalla que reproduce otra comprobación).</translation>
    </message>
    <message>
        <source>The face followed some of this session&apos;s colours but not the others (as a replayed video of another check whose colours partly resemble these does).</source>
        <translation>El rostro siguió algunos colores de esta sesión pero no los demás (como ocurre con un vídeo reproducido de otra comprobación cuyos colores se parecen en parte a estos).</translation>
    </message>
    <message>
        <source>In one colour channel the face changed clearly but did not follow this session&apos;s colours (as a replayed video of another check whose colours match these in the other channels does).</source>
        <translation>En un canal de color el rostro cambió claramente pero no siguió los colores de esta sesión (como ocurre con un vídeo reproducido de otra comprobación cuyos colores coinciden con estos en los otros canales).</translation>
    </message>
    <message>
        <source>The face reflected this session&apos;s colours on time, in the order the screen swept across it, with the shading of a real face.</source>
        <translation>El rostro reflejó a tiempo los colores de esta sesión, en el orden en que la pantalla los barrió sobre él, con el sombreado de un rostro real.</translation>
    </message>
    <message>
        <source>The light crossed the face in another order than this session&apos;s screen swept it ({agree} of {usable} colours in this session&apos;s order): the colour response looks painted onto the face.</source>
        <translation>La luz recorrió el rostro en otro orden que el del barrido de la pantalla de esta sesión ({agree} de {usable} colores en el orden de esta sesión): la respuesta de color parece pintada sobre el rostro.</translation>
    </message>
    <message>
        <source>The face&apos;s colour change fitted best {lag:.0f} ms after the screen&apos;s, beyond the {edge:.0f} ms a camera can take, though not clearly enough to call it forged: no decision. Try again; if this repeats on this kiosk, its camera may be slower than the lag window set for it.</source>
        <translation>El cambio de color del rostro se ajustó mejor {lag:.0f} ms después del de la pantalla, más allá de los {edge:.0f} ms que puede tardar una cámara, aunque no con la claridad suficiente para considerarlo falsificado: sin decisión. Vuelva a intentarlo; si se repite en este quiosco, puede que su cámara sea más lenta que la ventana de retardo configurada para ella.</translation>
    </message>
    <message>
        <source>Part of the face&apos;s colour change ({share:.0%}) fitted a later time than a camera delivers it, but the face&apos;s own changes during this session (+-{se:.0%}) are too large to call the response forged: no decision. Try again, holding still while the colours show.</source>
        <translation>Parte del cambio de color del rostro ({share:.0%}) se ajustó a un momento posterior al que una cámara lo entrega, pero los cambios propios del rostro durante esta sesión (+-{se:.0%}) son demasiado grandes para considerar falsificada la respuesta: sin decisión. Vuelva a intentarlo sin moverse mientras se muestran los colores.</translation>
    </message>
    <message>
        <source>The screen&apos;s light changed the face&apos;s colour very little against the room&apos;s light ({change:.1%} of its level), too little to tell a forged response from a faint real one: no decision. Try again facing the screen, in less bright light.</source>
        <translation>La luz de la pantalla cambió muy poco el color de la cara frente a la luz de la sala ({change:.1%} de su nivel), demasiado poco para distinguir una respuesta falsificada de una real débil: sin decisión. Inténtelo de nuevo de cara a la pantalla, con una luz menos intensa.</translation>
    </message>
    <message>
        <source>The order in which the screen&apos;s light crossed the face was too faint to confirm (clearly seen in {agree} of {steps} colours, the colours together leaning the right way): try again facing the screen, in less bright light.</source>
        <translation>El orden en que la luz de la pantalla recorrió el rostro fue demasiado débil para confirmarlo (se vio con claridad en {agree} de {steps} colores, que en conjunto apuntaban en la dirección correcta): vuelva a intentarlo mirando a la pantalla, con una luz menos intensa.</translation>
    </message>
    <message>
        <source>The face followed the colours, but the reflection looked like a flat or glossy surface rather than a face.</source>
        <translation>El rostro siguió los colores, pero el reflejo parecía de una superficie plana o brillante y no de un rostro.</translation>
    </message>
    <message>
        <source>Too few frames with one clear face to measure the face&apos;s shape.</source>
        <translation>Muy pocas imágenes con un solo rostro nítido para medir la forma del rostro.</translation>
    </message>
    <message>
        <source>The face did not come close enough to the camera (size changed x{scale:.2f}, x{needed:.2f} needed) to check its 3D shape.</source>
        <translation>El rostro no se acercó lo suficiente a la cámara (el tamaño cambió x{scale:.2f}, se necesitaba x{needed:.2f}) para comprobar su forma en 3D.</translation>
    </message>
    <message>
        <source>As the face came closer, its nose and outline moved the way a real 3D face does.</source>
        <translation>Al acercarse el rostro, la nariz y el contorno se movieron como en un rostro real en 3D.</translation>
    </message>
    <message>
        <source>As the face came closer, it moved like a flat picture rather than a 3D face.</source>
        <translation>Al acercarse el rostro, se movió como una imagen plana y no como un rostro en 3D.</translation>
    </message>
    <message>
        <source>The camera is a virtual camera ({why}), not a physical one.</source>
        <translation>La cámara es una cámara virtual ({why}), no una física.</translation>
    </message>
    <message>
        <source>{dup:.0%} of the frames were exact copies of the previous one, which a live camera never produces.</source>
        <translation>El {dup:.0%} de las imágenes eran copias exactas de la anterior, algo que una cámara en vivo nunca produce.</translation>
    </message>
    <message>
        <source>The video looked played from a file: no camera noise in dark areas, irregular timing or compression blocks.</source>
        <translation>El vídeo parecía reproducido desde un archivo: sin ruido de cámara en las zonas oscuras, con ritmo irregular o bloques de compresión.</translation>
    </message>
    <message>
        <source>The video came steadily from a physical camera with normal sensor noise.</source>
        <translation>El vídeo llegó de forma regular desde una cámara física con el ruido normal del sensor.</translation>
    </message>
    <message>
        <source>The video showed signs of a recording played into a camera (timing, missing noise or compression).</source>
        <translation>El vídeo mostraba indicios de una grabación reproducida ante una cámara (ritmo, falta de ruido o compresión).</translation>
    </message>
    <message>
        <source>The whites of the eyes did not answer the screen&apos;s colours clearly (a very bright room, or the eyes partly covered), so the eyes&apos; mirror image of the screen could not be measured: no decision. Try again facing the screen, in less bright light.</source>
        <translation>El blanco de los ojos no respondió claramente a los colores de la pantalla (una sala muy luminosa, o los ojos parcialmente cubiertos), así que no se pudo medir el reflejo de la pantalla en los ojos: sin decisión. Inténtelo de nuevo de cara a la pantalla, con una luz menos intensa.</translation>
    </message>
    <message>
        <source>The eyes&apos; mirror image of the screen looked weak ({catch:.2f}), but it was measured too unsteadily (+-{se:.2f}) to say the eyes have none: no decision. Try again facing the screen and holding still, in softer light.</source>
        <translation>El reflejo de la pantalla en los ojos se vio débil ({catch:.2f}), pero se midió con demasiada inestabilidad (+-{se:.2f}) para decir que los ojos no lo tienen: sin decisión. Vuelva a intentarlo mirando a la pantalla y sin moverse, con una luz más suave.</translation>
    </message>
    <message>
        <source>The screen gave most of the face&apos;s light ({share:.0%} at its brightest colours), where the eyes&apos; mirror image of it is hard to tell from the light their surface scatters, and it stayed unclear: no decision. Turn on a room light in front of the person and try again.</source>
        <translation>La pantalla dio la mayor parte de la luz de la cara ({share:.0%} con sus colores más claros), donde el reflejo de la pantalla en los ojos es difícil de distinguir de la luz que dispersa su superficie, y siguió sin estar claro: sin decisión. Encienda una luz de la sala delante de la persona e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>When the eyes blinked, the skin above them did not move with the lids ({events} blink(s) measured): something rigid is around the eyes, a glasses frame or a mask with eye holes, and the two cannot be told apart: take off glasses and try again.</source>
        <translation>Al parpadear, la piel sobre los ojos no se movió con los párpados ({events} parpadeo(s) medido(s)): hay algo rígido alrededor de los ojos, una montura de gafas o una máscara con agujeros para los ojos, y no se pueden distinguir: quítese las gafas e inténtelo de nuevo.</translation>
    </message>
    <message>
        <source>No frames were captured.</source>
        <translation>No se captó ninguna imagen.</translation>
    </message>
    <message>
        <source>No face was visible for most of the check.</source>
        <translation>No se vio ningún rostro durante la mayor parte de la comprobación.</translation>
    </message>
    <message>
        <source>More than one face was in front of the camera.</source>
        <translation>Había más de un rostro delante de la cámara.</translation>
    </message>
    <message>
        <source>One face, well lit, sharp and inside the oval.</source>
        <translation>Un solo rostro, bien iluminado, nítido y dentro del óvalo.</translation>
    </message>
    <message>
        <source>Capture quality was poor: {issues}.</source>
        <translation>La calidad de la captura fue mala: {issues}.</translation>
    </message>
    <message>
        <source>The passive texture model is not installed, so skin texture was not checked.</source>
        <translation>El modelo pasivo de textura no está instalado, así que no se comprobó la textura de la piel.</translation>
    </message>
    <message>
        <source>The passive texture model is not installed.</source>
        <translation>El modelo pasivo de textura no está instalado.</translation>
    </message>
    <message>
        <source>No frame was good enough for the texture check.</source>
        <translation>Ninguna imagen era lo bastante buena para la comprobación de textura.</translation>
    </message>
    <message>
        <source>No frame showed the face with enough room around it for the texture model, so skin texture was not checked (this lowers the confidence).</source>
        <translation>Ningún fotograma mostró la cara con espacio suficiente alrededor para el modelo de textura, así que no se comprobó la textura de la piel (esto reduce la confianza).</translation>
    </message>
    <message>
        <source>The skin texture looked like a live face.</source>
        <translation>La textura de la piel parecía la de un rostro vivo.</translation>
    </message>
    <message>
        <source>The skin texture looked like a photo or a screen.</source>
        <translation>La textura de la piel parecía la de una foto o una pantalla.</translation>
    </message>
    <message>
        <source>the face did not stay inside the oval</source>
        <translation>el rostro no se mantuvo dentro del óvalo</translation>
    </message>
    <message>
        <source>the face was too dark</source>
        <translation>el rostro estaba demasiado oscuro</translation>
    </message>
    <message>
        <source>the face was over-exposed</source>
        <translation>el rostro estaba sobreexpuesto</translation>
    </message>
    <message>
        <source>the light came from behind</source>
        <translation>la luz venía de detrás</translation>
    </message>
    <message>
        <source>the picture was blurred</source>
        <translation>la imagen estaba borrosa</translation>
    </message>
    <message>
        <source>the eyes were closed</source>
        <translation>los ojos estaban cerrados</translation>
    </message>
    <message>
        <source>reduce the light falling on the face (move away from a window or lamp)</source>
        <translation>reduzca la luz que cae sobre el rostro (aléjese de una ventana o lámpara)</translation>
    </message>
    <message>
        <source>add some light in front of the face</source>
        <translation>añada algo de luz delante del rostro</translation>
    </message>
    <message>
        <source>turn away from the window or lamp behind</source>
        <translation>dé la espalda a la ventana o lámpara que tiene detrás</translation>
    </message>
    <message>
        <source>The {name} check must pass on its own when the colours were shown, and it did not; no other check can make up for it.</source>
        <translation>La comprobación {name} debe superarse por sí sola cuando se muestran los colores, y no se superó; ninguna otra comprobación puede compensarlo.</translation>
    </message>
    <message>
        <source>Most of the face&apos;s colour change ({share:.0%}) came later than a real camera can deliver it (after {edge:.0f} ms): the colour response looks forged.</source>
        <translation>La mayor parte del cambio de color de la cara ({share:.0%}) llegó más tarde de lo que una cámara real puede entregarlo (después de {edge:.0f} ms): la respuesta de color parece falsificada.</translation>
    </message>
    <message>
        <source>As the face came closer, its shape measured physically impossible for a human face ({what}): the video looks manipulated (e.g. digitally zoomed), not filmed from a real head.</source>
        <translation>Al acercarse la cara, su forma resultó físicamente imposible para una cara humana ({what}): el vídeo parece manipulado (por ejemplo, ampliado digitalmente), no filmado de una cabeza real.</translation>
    </message>
    <message>
        <source>The eyes were not seen open long enough while the colours were shown, so the eyes&apos; reflection could not be checked.</source>
        <translation>No se vieron los ojos abiertos el tiempo suficiente mientras se mostraban los colores, así que no se pudo comprobar su reflejo.</translation>
    </message>
    <message>
        <source>The screen was nearly the only light on the face, so the eyes&apos; mirror image of it could not be told from the light their surface scatters: turn on a room light in front of the person and try again.</source>
        <translation>La pantalla era casi la única luz sobre el rostro, así que su imagen reflejada en los ojos no pudo distinguirse de la luz que dispersa su superficie: encienda una luz en la sala delante de la persona y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>The room was too dark to read the eyes&apos; mirror image of the screen, but the eyes blinked ({blinks} blink(s) seen): real eyes, not painted ones.</source>
        <translation>La sala estaba demasiado oscura para leer la imagen de la pantalla reflejada en los ojos, pero los ojos parpadearon ({blinks} parpadeo(s) vistos): ojos reales, no pintados.</translation>
    </message>
    <message>
        <source>The room was too dark to read the eyes&apos; mirror image of the screen, but the eyes blinked ({blinks} blink(s) seen): real eyes, not painted ones; and the skin under the eyes answered the colours like the cheeks: one material.</source>
        <translation>La sala estaba demasiado oscura para leer la imagen de la pantalla reflejada en los ojos, pero los ojos parpadearon ({blinks} parpadeo(s) vistos): ojos reales, no pintados; y la piel bajo los ojos respondió a los colores como las mejillas: un solo material.</translation>
    </message>
    <message>
        <source>The eyes mirrored the screen&apos;s colours with each flash, as real eyes do ({blinks} blink(s) seen).</source>
        <translation>Los ojos reflejaron los colores de la pantalla con cada destello, como hacen los ojos reales ({blinks} parpadeo(s) vistos).</translation>
    </message>
    <message>
        <source>The eyes mirrored the screen&apos;s colours with each flash, as real eyes do ({blinks} blink(s) seen), and the skin under the eyes answered the colours like the cheeks: one material.</source>
        <translation>Los ojos reflejaron los colores de la pantalla con cada destello, como hacen los ojos reales ({blinks} parpadeo(s) vistos), y la piel bajo los ojos respondió a los colores como las mejillas: un solo material.</translation>
    </message>
    <message>
        <source>The skin under the eyes answered the screen&apos;s red and green differently from the cheeks (material index {index:+.2f}): two materials, as a mask with eye holes around real eyes shows.</source>
        <translation>La piel bajo los ojos respondió al rojo y al verde de la pantalla de forma distinta que las mejillas (índice de material {index:+.2f}): dos materiales, como muestra una máscara con agujeros alrededor de unos ojos reales.</translation>
    </message>
    <message>
        <source>When the eyes blinked, the skin above them did not move with the lids as skin does: it stayed still, or its motion stopped short at an edge around the eyes ({events} blink(s) measured): a rigid surface around real eyes, as a mask with eye holes shows.</source>
        <translation>Cuando los ojos parpadearon, la piel de encima no se movió con los párpados como lo hace la piel: se quedó quieta, o su movimiento se detuvo en seco en un borde alrededor de los ojos ({events} parpadeo(s) medidos): una superficie rígida alrededor de unos ojos reales, como muestra una máscara con agujeros para los ojos.</translation>
    </message>
    <message>
        <source>The eyes mirrored the screen&apos;s colours with each flash, as real eyes do, and when they blinked the skin above them moved with the lids ({events} blink(s) measured): a face, not a rigid surface around the eyes.</source>
        <translation>Los ojos reflejaron los colores de la pantalla con cada destello, como hacen los ojos reales, y al parpadear la piel de encima se movió con los párpados ({events} parpadeo(s) medidos): una cara, no una superficie rígida alrededor de los ojos.</translation>
    </message>
    <message>
        <source>The room was too dark to read the eyes&apos; mirror image of the screen, but the eyes blinked and the skin above them moved with the lids ({events} blink(s) measured): real eyes in a face, not painted ones.</source>
        <translation>La sala estaba demasiado oscura para leer el reflejo de la pantalla en los ojos, pero los ojos parpadearon y la piel de encima se movió con los párpados ({events} parpadeo(s) medidos): ojos reales en una cara, no pintados.</translation>
    </message>
    <message>
        <source>The eyes did not blink clearly while the face was close to the screen, so whether the skin around them moves like a face&apos;s could not be checked: blink normally and try again.</source>
        <translation>Los ojos no parpadearon con claridad mientras la cara estaba cerca de la pantalla, así que no se pudo comprobar si la piel de alrededor se mueve como la de una cara: parpadee con normalidad y vuelva a intentarlo.</translation>
    </message>
    <message>
        <source>Whether the skin under the eyes and the cheeks are one material could not be measured clearly (the room&apos;s light was far brighter or far dimmer than the screen&apos;s, or the face moved too much): try again facing the screen in ordinary room light.</source>
        <translation>No se pudo medir con claridad si la piel bajo los ojos y las mejillas son un solo material (la luz de la sala era mucho más intensa o mucho más débil que la de la pantalla, o la cara se movió demasiado): vuelva a intentarlo mirando a la pantalla con la luz normal de la sala.</translation>
    </message>
    <message>
        <source>The eyes did not mirror the screen: no catchlight in them changed with the colours (painted eyes of a mask, a print or a screen).</source>
        <translation>Los ojos no reflejaron la pantalla: ningún brillo en ellos cambió con los colores (ojos pintados de una máscara, una foto impresa o una pantalla).</translation>
    </message>
</context>
<context>
    <name>ResultPage</name>
    <message>
        <source>Check: movement only, no flashes (reduced assurance: consider a second factor)</source>
        <translation>Comprobación: solo movimiento, sin destellos (garantía reducida: considere un segundo factor)</translation>
    </message>
    <message>
        <source>Check: light and movement (standard assurance)</source>
        <translation>Comprobación: luz y movimiento (garantía estándar)</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>Resultado</translation>
    </message>
    <message>
        <source>What happens next</source>
        <translation>Qué ocurre ahora</translation>
    </message>
    <message>
        <source>For the next try:</source>
        <translation>Para el próximo intento:</translation>
    </message>
    <message>
        <source>Tips for the next try</source>
        <translation>Consejos para el próximo intento</translation>
    </message>
    <message>
        <source>Staff view</source>
        <translation>Vista del personal</translation>
    </message>
    <message>
        <source>Result for staff</source>
        <translation>Resultado para el personal</translation>
    </message>
    <message>
        <source>What staff do next</source>
        <translation>Qué hace ahora el personal</translation>
    </message>
    <message>
        <source>Suspected attack</source>
        <translation>Ataque sospechado</translation>
    </message>
    <message>
        <source>Review checklist</source>
        <translation>Lista de revisión</translation>
    </message>
    <message>
        <source>Check used</source>
        <translation>Comprobación usada</translation>
    </message>
    <message>
        <source>Confidence</source>
        <translation>Confianza</translation>
    </message>
    <message>
        <source>Reference image with the face box; press Enter to enlarge</source>
        <translation>Imagen de referencia con el recuadro de la cara; pulse Intro para ampliarla</translation>
    </message>
    <message>
        <source>Reference image</source>
        <translation>Imagen de referencia</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Motivos</translation>
    </message>
    <message>
        <source>Reasons</source>
        <translation>Motivos</translation>
    </message>
    <message>
        <source>Audit images (click or press Enter to enlarge)</source>
        <translation>Imágenes de auditoría (haga clic o pulse Intro para ampliarlas)</translation>
    </message>
    <message>
        <source>Audit image %1; press Enter to enlarge</source>
        <translation>Imagen de auditoría %1; pulse Intro para ampliarla</translation>
    </message>
    <message>
        <source>Check details (staff only)</source>
        <translation>Detalles de la comprobación (solo personal)</translation>
    </message>
    <message>
        <source>Check details</source>
        <translation>Detalles de la comprobación</translation>
    </message>
    <message>
        <source>Screen colour (strip) and face response (R, G, B lines)</source>
        <translation>Color de la pantalla (franja) y respuesta de la cara (líneas R, G, B)</translation>
    </message>
    <message>
        <source>3D check: landmark drift while the face approached</source>
        <translation>Comprobación 3D: desvío de los puntos faciales mientras la cara se acercaba</translation>
    </message>
    <message>
        <source>Automatic return</source>
        <translation>Regreso automático</translation>
    </message>
    <message>
        <source>&amp;Staff view…</source>
        <translation>&amp;Vista del personal…</translation>
    </message>
    <message>
        <source>Show the evidence for staff</source>
        <translation>Mostrar las pruebas al personal</translation>
    </message>
    <message>
        <source>&amp;Try again</source>
        <translation>&amp;Intentar de nuevo</translation>
    </message>
    <message>
        <source>Try again with a new check</source>
        <translation>Intentarlo de nuevo con una comprobación nueva</translation>
    </message>
    <message>
        <source>&amp;New check</source>
        <translation>&amp;Nueva comprobación</translation>
    </message>
    <message>
        <source>New check</source>
        <translation>Nueva comprobación</translation>
    </message>
    <message>
        <source>&amp;Hide staff view</source>
        <translation>&amp;Ocultar la vista del personal</translation>
    </message>
    <message>
        <source>Hide the evidence for staff</source>
        <translation>Ocultar las pruebas del personal</translation>
    </message>
    <message>
        <source>Confidence %1 (threshold %2)</source>
        <translation>Confianza %1 (umbral %2)</translation>
    </message>
    <message>
        <source>No further details.</source>
        <translation>No hay más detalles.</translation>
    </message>
    <message>
        <source>Audit image %1</source>
        <translation>Imagen de auditoría %1</translation>
    </message>
    <message>
        <source>No light challenge in this check.</source>
        <translation>Esta comprobación no tuvo reto de luz.</translation>
    </message>
    <message>
        <source>Not enough face movement recorded.</source>
        <translation>No se ha registrado suficiente movimiento de la cara.</translation>
    </message>
    <message>
        <source>Returning to the start screen in %1 s</source>
        <translation>Volviendo a la pantalla de inicio en %1 s</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Ajustes</translation>
    </message>
    <message>
        <source>First real camera</source>
        <translation>Primera cámara real</translation>
    </message>
    <message>
        <source> (virtual)</source>
        <translation> (virtual)</translation>
    </message>
    <message>
        <source>&amp;Camera:</source>
        <translation>&amp;Cámara:</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Cámara</translation>
    </message>
    <message>
        <source>Accept virtual cameras (testing only)</source>
        <translation>Aceptar cámaras virtuales (solo para pruebas)</translation>
    </message>
    <message>
        <source>Accept virtual cameras</source>
        <translation>Aceptar cámaras virtuales</translation>
    </message>
    <message>
        <source>Movement and light (most accurate)</source>
        <translation>Movimiento y luz (la más precisa)</translation>
    </message>
    <message>
        <source>Movement only (no flashing)</source>
        <translation>Solo movimiento (sin destellos)</translation>
    </message>
    <message>
        <source>C&amp;heck type:</source>
        <translation>&amp;Tipo de comprobación:</translation>
    </message>
    <message>
        <source>Check type</source>
        <translation>Tipo de comprobación</translation>
    </message>
    <message>
        <source>&amp;Dim the flashes by:</source>
        <translation>&amp;Atenuar los destellos:</translation>
    </message>
    <message>
        <source>Flash dimming in percent</source>
        <translation>Atenuación de los destellos en porcentaje</translation>
    </message>
    <message>
        <source>&amp;Face-fit time limit:</source>
        <translation>Tiempo &amp;límite de ajuste:</translation>
    </message>
    <message>
        <source>Face fit time limit in seconds</source>
        <translation>Tiempo límite de ajuste del rostro en segundos</translation>
    </message>
    <message>
        <source>Pass &amp;threshold (0-100):</source>
        <translation>&amp;Umbral de aprobación (0-100):</translation>
    </message>
    <message>
        <source>Pass threshold</source>
        <translation>Umbral de aprobación</translation>
    </message>
    <message>
        <source>&amp;Audit images:</source>
        <translation>Imágenes de au&amp;ditoría:</translation>
    </message>
    <message>
        <source>Number of audit images</source>
        <translation>Número de imágenes de auditoría</translation>
    </message>
    <message>
        <source>Save every session as a recording</source>
        <translation>Guardar cada sesión como grabación</translation>
    </message>
    <message>
        <source>Save recordings</source>
        <translation>Guardar grabaciones</translation>
    </message>
    <message>
        <source>Operator</source>
        <translation>Operador</translation>
    </message>
    <message>
        <source>Kiosk (end users)</source>
        <translation>Quiosco (usuarios finales)</translation>
    </message>
    <message>
        <source>Demo (confidence and plots shown)</source>
        <translation>Demostración (con confianza y gráficos)</translation>
    </message>
    <message>
        <source>&amp;Mode:</source>
        <translation>&amp;Modo:</translation>
    </message>
    <message>
        <source>Mode</source>
        <translation>Modo</translation>
    </message>
    <message>
        <source>Kiosk mode needs an operator PIN (below): it ends the pause after repeated failed checks.</source>
        <translation>El modo quiosco necesita un PIN del operador (abajo): termina la pausa tras varias comprobaciones fallidas.</translation>
    </message>
    <message>
        <source>Kiosk mode needs an operator PIN</source>
        <translation>El modo quiosco necesita un PIN del operador</translation>
    </message>
    <message>
        <source>Kiosk: &amp;return to start after:</source>
        <translation>Quiosco: &amp;volver al inicio tras:</translation>
    </message>
    <message>
        <source>Kiosk return delay in seconds</source>
        <translation>Retardo de regreso del quiosco en segundos</translation>
    </message>
    <message>
        <source>unchanged</source>
        <translation>sin cambios</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>sin definir</translation>
    </message>
    <message>
        <source>Kiosk operator &amp;PIN:</source>
        <translation>&amp;PIN del operador:</translation>
    </message>
    <message>
        <source>New operator PIN</source>
        <translation>Nuevo PIN del operador</translation>
    </message>
    <message>
        <source>Repeat the PI&amp;N:</source>
        <translation>Repita el PI&amp;N:</translation>
    </message>
    <message>
        <source>Repeat the new operator PIN</source>
        <translation>Repita el nuevo PIN del operador</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Idioma del sistema</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Idioma</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>&amp;Idioma:</translation>
    </message>
    <message>
        <source>Te&amp;xt size:</source>
        <translation>Tamaño del te&amp;xto:</translation>
    </message>
    <message>
        <source>Text size</source>
        <translation>Tamaño del texto</translation>
    </message>
    <message>
        <source>High contrast</source>
        <translation>Alto contraste</translation>
    </message>
    <message>
        <source>High contrast colours</source>
        <translation>Colores de alto contraste</translation>
    </message>
    <message>
        <source>Staff view on a second screen</source>
        <translation>Vista del personal en una segunda pantalla</translation>
    </message>
    <message>
        <source>When a second screen is connected, the evidence for staff opens there; otherwise it stays behind the PIN.</source>
        <translation>Si hay una segunda pantalla conectada, las pruebas para el personal se abren en ella; si no, siguen protegidas por el PIN.</translation>
    </message>
    <message>
        <source>Language, text size and contrast change as soon as the settings are saved.</source>
        <translation>El idioma, el tamaño del texto y el contraste cambian en cuanto se guardan los ajustes.</translation>
    </message>
    <message>
        <source>Settings message</source>
        <translation>Mensaje de los ajustes</translation>
    </message>
    <message>
        <source>Save the settings</source>
        <translation>Guardar los ajustes</translation>
    </message>
    <message>
        <source>Cancel without saving</source>
        <translation>Cancelar sin guardar</translation>
    </message>
    <message>
        <source>Kiosk mode needs an operator PIN: type one twice below.</source>
        <translation>El modo quiosco necesita un PIN del operador: escríbalo dos veces abajo.</translation>
    </message>
    <message>
        <source>The two PINs differ. Type the same PIN twice.</source>
        <translation>Los dos PIN no coinciden. Escriba el mismo PIN dos veces.</translation>
    </message>
    <message>
        <source>A PIN needs 6 to 64 digits.</source>
        <translation>Un PIN necesita de 6 a 64 dígitos.</translation>
    </message>
    <message>
        <source>Saving…</source>
        <translation>Guardando…</translation>
    </message>
    <message>
        <source>The settings could not be saved: %1</source>
        <translation>No se han podido guardar los ajustes: %1</translation>
    </message>
</context>
<context>
    <name>StaffWindow</name>
    <message>
        <source>Livegate staff view</source>
        <translation>Livegate: vista del personal</translation>
    </message>
    <message>
        <source>The evidence of the next result appears here.</source>
        <translation>Aquí aparecerán las pruebas del próximo resultado.</translation>
    </message>
</context>
<context>
    <name>StartPage</name>
    <message>
        <source>Livegate</source>
        <extracomment>Longest customer or operator reference a session stores. Smallest side of anything a finger must hit (touch screens at kiosks and counters).</extracomment>
        <translation>Livegate</translation>
    </message>
    <message>
        <source>Face liveness check: shows that a live person is in front of the camera.</source>
        <translation>Comprobación de vida facial: demuestra que hay una persona real delante de la cámara.</translation>
    </message>
    <message>
        <source>&amp;Camera:</source>
        <translation>&amp;Cámara:</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>Cámara</translation>
    </message>
    <message>
        <source>&amp;Refresh</source>
        <translation>Ac&amp;tualizar</translation>
    </message>
    <message>
        <source>Refresh the camera list</source>
        <translation>Actualizar la lista de cámaras</translation>
    </message>
    <message>
        <source>Camera note</source>
        <translation>Nota sobre la cámara</translation>
    </message>
    <message>
        <source>References (for staff, optional)</source>
        <translation>Referencias (para el personal, opcionales)</translation>
    </message>
    <message>
        <source>References</source>
        <translation>Referencias</translation>
    </message>
    <message>
        <source>Customer reference</source>
        <translation>Referencia del cliente</translation>
    </message>
    <message>
        <source>Operator reference</source>
        <translation>Referencia del operador</translation>
    </message>
    <message>
        <source>e.g. order number</source>
        <translation>p. ej., n.º de pedido</translation>
    </message>
    <message>
        <source>e.g. desk 2</source>
        <translation>p. ej., puesto 2</translation>
    </message>
    <message>
        <source>C&amp;ustomer:</source>
        <translation>Cl&amp;iente:</translation>
    </message>
    <message>
        <source>O&amp;perator:</source>
        <translation>O&amp;perador:</translation>
    </message>
    <message>
        <source>Type of check</source>
        <translation>Tipo de comprobación</translation>
    </message>
    <message>
        <source>&amp;Movement and light (most accurate)</source>
        <translation>&amp;Movimiento y luz (la más precisa)</translation>
    </message>
    <message>
        <source>Movement and light check</source>
        <translation>Comprobación con movimiento y luz</translation>
    </message>
    <message>
        <source>Movement &amp;only (no flashing, for photosensitive people)</source>
        <translation>Solo m&amp;ovimiento (sin destellos, para personas fotosensibles)</translation>
    </message>
    <message>
        <source>Movement only check, no flashing</source>
        <translation>Comprobación solo con movimiento, sin destellos</translation>
    </message>
    <message>
        <source>Photosensitivity warning: this check flashes different colours. Use caution if you are photosensitive, or choose “Movement only”.</source>
        <translation>Aviso de fotosensibilidad: esta comprobación emite destellos de distintos colores. Tenga cuidado si es fotosensible o elija «Solo movimiento».</translation>
    </message>
    <message>
        <source>Photosensitivity warning</source>
        <translation>Aviso de fotosensibilidad</translation>
    </message>
    <message>
        <source>&amp;Start check</source>
        <translation>&amp;Empezar la comprobación</translation>
    </message>
    <message>
        <source>Start check</source>
        <translation>Empezar la comprobación</translation>
    </message>
    <message>
        <source>S&amp;ettings…</source>
        <translation>A&amp;justes…</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Ajustes</translation>
    </message>
    <message>
        <source>&amp;History…</source>
        <translation>&amp;Historial…</translation>
    </message>
    <message>
        <source>Session history</source>
        <translation>Historial de sesiones</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Salir</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Salir</translation>
    </message>
    <message>
        <source>Source from the command line: %1</source>
        <translation>Fuente de la línea de órdenes: %1</translation>
    </message>
    <message>
        <source>%1 (virtual camera)</source>
        <translation>%1 (cámara virtual)</translation>
    </message>
    <message>
        <source>No camera found</source>
        <translation>No se ha encontrado ninguna cámara</translation>
    </message>
    <message>
        <source>This camera looks virtual (%1). Virtual cameras are refused: choose a real camera.</source>
        <translation>Esta cámara parece virtual (%1). Las cámaras virtuales se rechazan: elija una cámara real.</translation>
    </message>
    <message>
        <source>No camera was found. Connect a camera and press Refresh.</source>
        <translation>No se ha encontrado ninguna cámara. Conecte una y pulse Actualizar.</translation>
    </message>
</context>
<context>
    <name>Verdict</name>
    <message>
        <source>Device suspected: the camera looks virtual or the video injected. Check the device and its camera.</source>
        <extracomment>Attempts one customer gets at the counter before staff check the identity another way.</extracomment>
        <translation>Se sospecha del dispositivo: la cámara parece virtual o el vídeo inyectado. Revise el dispositivo y su cámara.</translation>
    </message>
    <message>
        <source>Screen or replay suspected: the face did not reflect this check&apos;s colours like a real face.</source>
        <translation>Se sospecha de una pantalla o una reproducción: la cara no reflejó los colores de esta comprobación como una cara real.</translation>
    </message>
    <message>
        <source>Flat picture suspected (print or screen): the face did not change perspective like a real head.</source>
        <translation>Se sospecha de una imagen plana (impresa o en pantalla): la cara no cambió de perspectiva como una cabeza real.</translation>
    </message>
    <message>
        <source>Print or screen suspected: the skin texture looks reproduced.</source>
        <translation>Se sospecha de una impresión o una pantalla: la textura de la piel parece reproducida.</translation>
    </message>
    <message>
        <source>The capture quality was too poor to judge (light, focus or a face out of view).</source>
        <translation>La calidad de la captura era demasiado baja para juzgar (luz, enfoque o cara fuera de la imagen).</translation>
    </message>
    <message>
        <source>Compare the reference image with the person at the counter and their document.</source>
        <translation>Compare la imagen de referencia con la persona en el mostrador y con su documento.</translation>
    </message>
    <message>
        <source>Look at the audit images for paper edges, a screen frame, glare or a hand holding something.</source>
        <translation>Busque en las imágenes de auditoría bordes de papel, el marco de una pantalla, reflejos o una mano que sujeta algo.</translation>
    </message>
    <message>
        <source>If in doubt, check the identity manually.</source>
        <translation>En caso de duda, compruebe la identidad manualmente.</translation>
    </message>
    <message>
        <source>Face a soft light, out of direct sun; avoid a bright window behind you.</source>
        <translation>Colóquese de cara a una luz suave, sin sol directo; evite una ventana luminosa detrás de usted.</translation>
    </message>
    <message>
        <source>Take off sunglasses, a hat or a mask.</source>
        <translation>Quítese las gafas de sol, el sombrero o la mascarilla.</translation>
    </message>
    <message>
        <source>Keep the camera at eye level and hold still when asked.</source>
        <translation>Mantenga la cámara a la altura de los ojos y quédese quieto cuando se le pida.</translation>
    </message>
    <message>
        <source>Check the identity manually (document and face at the counter).</source>
        <translation>Compruebe la identidad manualmente (documento y cara en el mostrador).</translation>
    </message>
    <message>
        <source>PASS</source>
        <translation>APROBADO</translation>
    </message>
    <message>
        <source>Thank you. The check is complete; staff will continue with you.</source>
        <translation>Gracias. La comprobación ha terminado; el personal continuará con usted.</translation>
    </message>
    <message>
        <source>A live person was confirmed. No action needed.</source>
        <translation>Se confirmó una persona real. No hace falta hacer nada.</translation>
    </message>
    <message>
        <source>PASS - review</source>
        <translation>APROBADO - revisar</translation>
    </message>
    <message>
        <source>Passed, but one check raised a concern. Review before you continue.</source>
        <translation>Aprobado, pero una comprobación planteó una duda. Revise antes de continuar.</translation>
    </message>
    <message>
        <source>FAIL</source>
        <translation>RECHAZADO</translation>
    </message>
    <message>
        <source>Please speak to a member of staff.</source>
        <translation>Hable con un miembro del personal, por favor.</translation>
    </message>
    <message>
        <source>FAIL - attack suspected</source>
        <translation>RECHAZADO - se sospecha un ataque</translation>
    </message>
    <message>
        <source>Do not offer another try.</source>
        <translation>No ofrezca otro intento.</translation>
    </message>
    <message>
        <source>Please try once more, or speak to a member of staff.</source>
        <translation>Inténtelo una vez más o hable con un miembro del personal.</translation>
    </message>
    <message>
        <source>After that:</source>
        <translation>Después:</translation>
    </message>
    <message>
        <source>No tries left.</source>
        <translation>No quedan intentos.</translation>
    </message>
    <message>
        <source>TRY AGAIN</source>
        <translation>INTÉNTELO DE NUEVO</translation>
    </message>
    <message>
        <source>The check could not be completed. Please try again.</source>
        <translation>No se pudo completar la comprobación. Inténtelo de nuevo, por favor.</translation>
    </message>
    <message>
        <source>No decision</source>
        <translation>Sin decisión</translation>
    </message>
    <message>
        <source>NOT COMPLETED</source>
        <translation>NO COMPLETADA</translation>
    </message>
    <message>
        <source>Scoring unavailable</source>
        <translation>Evaluación no disponible</translation>
    </message>
    <message>
        <source>This device cannot decide right now (see the reason).</source>
        <translation>Este dispositivo no puede decidir ahora (vea el motivo).</translation>
    </message>
    <message>
        <source>1 more try.</source>
        <translation>Queda 1 intento.</translation>
    </message>
    <message>
        <source>%1 more tries.</source>
        <translation>Quedan %1 intentos.</translation>
    </message>
</context>
<context>
    <name>VerifyingPage</name>
    <message>
        <source>Verifying…</source>
        <translation>Verificando…</translation>
    </message>
    <message>
        <source>Verification progress</source>
        <translation>Progreso de la verificación</translation>
    </message>
    <message>
        <source>Verification status</source>
        <translation>Estado de la verificación</translation>
    </message>
    <message>
        <source>Checking the recording: %1 s so far. This usually takes a few seconds; the check stops after %2 s.</source>
        <translation>Analizando la grabación: %1 s hasta ahora. Suele tardar unos segundos; la comprobación se detiene a los %2 s.</translation>
    </message>
</context>
</TS>
