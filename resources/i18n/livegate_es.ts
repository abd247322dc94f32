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
    <name>GuidancePage</name>
    <message>
        <source>Camera preview with the oval</source>
        <translation>Vista previa de la cámara con el óvalo</translation>
    </message>
    <message>
        <source>Look at the camera</source>
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
        <source>%p% face fit</source>
        <translation>Ajuste del rostro: %p %</translation>
    </message>
    <message>
        <source>Face fit progress</source>
        <translation>Progreso del ajuste del rostro</translation>
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
        <source>The flashing stopped because your face left the oval. Start again from a little further away.</source>
        <translation>Los destellos se han detenido porque su cara ha salido del óvalo. Vuelva a empezar desde un poco más lejos.</translation>
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
        <translation>Livegate: comprobación facial</translation>
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
        <translation>Qué ha pasado</translation>
    </message>
    <message>
        <source>Technical detail</source>
        <translation>Detalle técnico</translation>
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
    <name>ResultPage</name>
    <message>
        <source>Result</source>
        <translation>Resultado</translation>
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
        <source>Scoring unavailable</source>
        <translation>Evaluación no disponible</translation>
    </message>
    <message>
        <source>No decision was made: this check cannot say whether the person is live.</source>
        <translation>No se ha tomado ninguna decisión: esta comprobación no puede decir si la persona está presente en vivo.</translation>
    </message>
    <message>
        <source>TRY AGAIN</source>
        <translation>INTÉNTELO DE NUEVO</translation>
    </message>
    <message>
        <source>The check could not be completed, so no decision was made. See below what to change.</source>
        <translation>No se pudo completar la comprobación, así que no hay decisión. Abajo se indica qué cambiar.</translation>
    </message>
    <message>
        <source>PASS</source>
        <translation>APROBADO</translation>
    </message>
    <message>
        <source>A live person was confirmed.</source>
        <translation>Se ha confirmado una persona en vivo.</translation>
    </message>
    <message>
        <source>FAIL</source>
        <translation>RECHAZADO</translation>
    </message>
    <message>
        <source>A live person could not be confirmed.</source>
        <translation>No se ha podido confirmar una persona en vivo.</translation>
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
        <source>Show the confidence number to operators</source>
        <translation>Mostrar la confianza a los operadores</translation>
    </message>
    <message>
        <source>Show the confidence number</source>
        <translation>Mostrar la confianza</translation>
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
        <source>&amp;Language (after restart):</source>
        <translation>&amp;Idioma (tras reiniciar):</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Idioma</translation>
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
        <source>A PIN needs 4 to 64 characters.</source>
        <translation>Un PIN debe tener entre 4 y 64 caracteres.</translation>
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
    <name>StartPage</name>
    <message>
        <source>Livegate</source>
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
<context>
    <name>widget</name>
    <message>
        <source>Check: movement only, no flashes (reduced assurance: consider a second factor)</source>
        <translation>Comprobación: solo movimiento, sin destellos (garantía reducida: considere un segundo factor)</translation>
    </message>
    <message>
        <source>Check: light and movement (standard assurance)</source>
        <translation>Comprobación: luz y movimiento (garantía estándar)</translation>
    </message>
</context>
</TS>
