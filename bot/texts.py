"""The engine's own few texts: what the bot says when its flows cannot (a failure, a queued conversation).

Everything a passenger normally reads lives with the flows in flows/*.yml; these are the safety net.
"""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "bot_error": {
        "en": "Sorry, something went wrong on our side. A colleague will take over and get back to you here.",
        "nl": "Sorry, er ging bij ons iets mis. Een collega neemt het over en reageert hier zo snel mogelijk.",
        "fr": "Désolés, un problème est survenu de notre côté. Un collègue prend le relais et vous répond ici.",
        "de": "Entschuldigung, bei uns ist etwas schiefgelaufen. Eine Kollegin oder ein Kollege übernimmt und "
        "meldet sich hier.",
        "es": "Lo sentimos, algo ha fallado por nuestra parte. Un compañero se encargará y le responderá aquí.",
        "it": "Ci scusi, qualcosa non ha funzionato da parte nostra. Un collega prenderà in carico la richiesta "
        "e Le risponderà qui.",
        "pt": "Lamentamos, algo correu mal do nosso lado. Um colega vai dar seguimento e responder aqui.",
        "pl": "Przepraszamy, coś poszło nie tak po naszej stronie. Konsultant przejmie rozmowę i odpowie tutaj.",
        "sv": "Förlåt, något gick fel hos oss. En kollega tar över och svarar dig här.",
        "da": "Beklager, der gik noget galt hos os. En kollega tager over og svarer dig her.",
        "ru": "Извините, у нас что-то пошло не так. Коллега подключится к разговору и ответит вам здесь.",
        "tr": "Özür dileriz, bizim tarafımızda bir sorun oluştu. Bir ekip arkadaşımız konuyu devralıp size buradan "
        "yanıt verecek.",
        "ja": "申し訳ございません。こちらで問題が発生しました。担当者が引き継ぎ、こちらでご返信いたします。",
        "zh": "抱歉，我们这边出现了问题。同事会接手处理，并在这里回复您。",
    },
    "queued_ack": {
        "en": "Thanks, we have your message. A colleague will reply here as soon as possible.",
        "nl": "Dank je, we hebben je bericht. Een collega reageert hier zo snel mogelijk.",
        "fr": "Merci, nous avons bien reçu votre message. Un collègue vous répondra ici dès que possible.",
        "de": "Danke, wir haben Ihre Nachricht. Eine Kollegin oder ein Kollege antwortet hier so schnell wie möglich.",
        "es": "Gracias, hemos recibido su mensaje. Un compañero le responderá aquí lo antes posible.",
        "it": "Grazie, abbiamo ricevuto il Suo messaggio. Un collega Le risponderà qui il prima possibile.",
        "pt": "Obrigado, recebemos a sua mensagem. Um colega responderá aqui o mais depressa possível.",
        "pl": "Dziękujemy, otrzymaliśmy Państwa wiadomość. Konsultant odpowie tutaj najszybciej, jak to możliwe.",
        "sv": "Tack, vi har fått ditt meddelande. En kollega svarar här så snart som möjligt.",
        "da": "Tak, vi har modtaget din besked. En kollega svarer her hurtigst muligt.",
        "ru": "Спасибо, мы получили ваше сообщение. Коллега ответит вам здесь как можно скорее.",
        "tr": "Teşekkürler, mesajınızı aldık. Bir ekip arkadaşımız size en kısa sürede buradan yanıt verecek.",
        "ja": "ありがとうございます。メッセージを承りました。担当者ができるだけ早くこちらでご返信いたします。",
        "zh": "谢谢，我们已收到您的消息。同事会尽快在这里回复您。",
    },
    # ---- handoff (bot/cases): the queue, the wait, withdrawing, the agent who has the case -----------------------
    # {position}: place in the queue; {minutes}: expected wait from recent handling; {sla}: the first-response target
    "case_opened": {
        "en": "You are number {position} in the queue. At the pace colleagues are answering now, expect a reply in "
        "about {minutes} min. Anything you write here is added to your case. Changed your mind? Reply \"stop\" "
        "and I'll help you myself.",
        "nl": "Je bent nummer {position} in de wachtrij. In het tempo waarin collega's nu antwoorden, kun je over "
        "ongeveer {minutes} min. een reactie verwachten. Alles wat je hier schrijft, wordt aan je zaak toegevoegd. "
        "Toch liever niet? Antwoord \"stop\" en ik help je zelf verder.",
        "fr": "Vous êtes numéro {position} dans la file d'attente. Au rythme actuel de nos collègues, comptez "
        "environ {minutes} min avant une réponse. Tout ce que vous écrivez ici est ajouté à votre dossier. Vous "
        "avez changé d'avis ? Répondez « stop » et je vous aide moi-même.",
        "de": "Sie sind Nummer {position} in der Warteschlange. So schnell, wie die Kollegen gerade antworten, "
        "erhalten Sie in etwa {minutes} Min. eine Antwort. Alles, was Sie hier schreiben, wird Ihrem Fall "
        "hinzugefügt. Doch nicht nötig? Antworten Sie \"stopp\", dann helfe ich Ihnen selbst weiter.",
        "es": "Es el número {position} en la cola. Al ritmo al que responden ahora los compañeros, recibirá una "
        "respuesta en unos {minutes} min. Todo lo que escriba aquí se añade a su caso. ¿Ha cambiado de idea? "
        "Responda \"basta\" y le ayudo yo mismo.",
        "it": "È il numero {position} in coda. Al ritmo con cui i colleghi rispondono ora, riceverà una risposta "
        "tra circa {minutes} min. Tutto ciò che scrive qui viene aggiunto alla Sua pratica. Ha cambiato idea? "
        "Risponda \"stop\" e La aiuto io.",
        "pt": "É o número {position} na fila. Ao ritmo a que os colegas estão a responder, deverá ter uma resposta "
        "dentro de cerca de {minutes} min. Tudo o que escrever aqui é acrescentado ao seu caso. Mudou de ideias? "
        "Responda \"chega\" e eu próprio ajudo.",
        "pl": "Są Państwo numerem {position} w kolejce. W obecnym tempie konsultanci odpowiedzą za około {minutes} "
        "min. Wszystko, co Państwo tu napiszą, zostanie dodane do zgłoszenia. Zmiana planów? Wystarczy odpisać "
        "\"stop\", a pomogę sam.",
        "sv": "Du är nummer {position} i kön. I den takt kollegorna svarar nu kan du vänta dig ett svar om ungefär "
        "{minutes} min. Allt du skriver här läggs till i ditt ärende. Ändrat dig? Svara \"stopp\" så hjälper jag "
        "dig själv.",
        "da": "Du er nummer {position} i køen. Med det tempo, kollegerne svarer i nu, kan du forvente et svar om "
        "cirka {minutes} min. Alt, hvad du skriver her, føjes til din sag. Fortrudt? Svar \"stop\", så hjælper "
        "jeg dig selv.",
        "ru": "Ваш номер в очереди: {position}. Судя по тому, как быстро коллеги отвечают сейчас, ответ придёт "
        "примерно через {minutes} мин. Всё, что вы напишете здесь, будет добавлено к вашему обращению. "
        "Передумали? Напишите «стоп», и я помогу вам сам.",
        "tr": "Sıradaki yeriniz: {position}. Meslektaşlarımızın şu anki yanıt hızına göre yaklaşık {minutes} dk. "
        "içinde yanıt bekleyebilirsiniz. Buraya yazdığınız her şey talebinize eklenir. Fikrinizi mi "
        "değiştirdiniz? \"dur\" yazın, size ben yardımcı olayım.",
        "ja": "現在、順番待ちの{position}番目です。担当者の現在の対応状況から、"
        "約{minutes}分で返信できる見込みです。ここに書き込んだ内容はすべてお問い合わせに追加されます。"
        "やはり不要になった場合は「ストップ」と送信してください。私がお手伝いします。",
        "zh": "您目前排在第{position}位。按同事们现在的回复速度，预计约{minutes}分钟内会有人回复您。"
        "您在这里发送的所有内容都会添加到您的工单中。改变主意了？回复“停止”，我来为您处理。",
    },
    "case_opened_unknown": {
        "en": "You are number {position} in the queue. I can't estimate the wait yet; we aim to reply within {sla} "
        "min. Anything you write here is added to your case. Changed your mind? Reply \"stop\" and I'll help you "
        "myself.",
        "nl": "Je bent nummer {position} in de wachtrij. Ik kan de wachttijd nog niet inschatten; we streven ernaar "
        "binnen {sla} min. te antwoorden. Alles wat je hier schrijft, wordt aan je zaak toegevoegd. Toch liever "
        "niet? Antwoord \"stop\" en ik help je zelf verder.",
        "fr": "Vous êtes numéro {position} dans la file d'attente. Je ne peux pas encore estimer l'attente ; nous "
        "visons une réponse dans les {sla} min. Tout ce que vous écrivez ici est ajouté à votre dossier. Vous avez "
        "changé d'avis ? Répondez « stop » et je vous aide moi-même.",
        "de": "Sie sind Nummer {position} in der Warteschlange. Die Wartezeit kann ich noch nicht abschätzen; wir "
        "möchten innerhalb von {sla} Min. antworten. Alles, was Sie hier schreiben, wird Ihrem Fall hinzugefügt. "
        "Doch nicht nötig? Antworten Sie \"stopp\", dann helfe ich Ihnen selbst weiter.",
        "es": "Es el número {position} en la cola. Todavía no puedo calcular la espera; intentamos responder en "
        "menos de {sla} min. Todo lo que escriba aquí se añade a su caso. ¿Ha cambiado de idea? Responda "
        "\"basta\" y le ayudo yo mismo.",
        "it": "È il numero {position} in coda. Non posso ancora stimare l'attesa; il nostro obiettivo è rispondere "
        "entro {sla} min. Tutto ciò che scrive qui viene aggiunto alla Sua pratica. Ha cambiato idea? Risponda "
        "\"stop\" e La aiuto io.",
        "pt": "É o número {position} na fila. Ainda não consigo estimar a espera; o nosso objetivo é responder em "
        "menos de {sla} min. Tudo o que escrever aqui é acrescentado ao seu caso. Mudou de ideias? Responda "
        "\"chega\" e eu próprio ajudo.",
        "pl": "Są Państwo numerem {position} w kolejce. Nie mogę jeszcze oszacować czasu oczekiwania; staramy się "
        "odpowiedzieć w ciągu {sla} min. Wszystko, co Państwo tu napiszą, zostanie dodane do zgłoszenia. Zmiana "
        "planów? Wystarczy odpisać \"stop\", a pomogę sam.",
        "sv": "Du är nummer {position} i kön. Jag kan inte uppskatta väntetiden än; vi siktar på att svara inom "
        "{sla} min. Allt du skriver här läggs till i ditt ärende. Ändrat dig? Svara \"stopp\" så hjälper jag dig "
        "själv.",
        "da": "Du er nummer {position} i køen. Jeg kan ikke vurdere ventetiden endnu; vi stræber efter at svare "
        "inden for {sla} min. Alt, hvad du skriver her, føjes til din sag. Fortrudt? Svar \"stop\", så hjælper "
        "jeg dig selv.",
        "ru": "Ваш номер в очереди: {position}. Пока я не могу оценить время ожидания; мы стараемся ответить в "
        "течение {sla} мин. Всё, что вы напишете здесь, будет добавлено к вашему обращению. Передумали? Напишите "
        "«стоп», и я помогу вам сам.",
        "tr": "Sıradaki yeriniz: {position}. Bekleme süresini henüz tahmin edemiyorum; {sla} dk. içinde yanıt "
        "vermeyi hedefliyoruz. Buraya yazdığınız her şey talebinize eklenir. Fikrinizi mi değiştirdiniz? \"dur\" "
        "yazın, size ben yardımcı olayım.",
        "ja": "現在、順番待ちの{position}番目です。待ち時間はまだ見積もれませんが、"
        "{sla}分以内の返信を目指しています。ここに書き込んだ内容はすべてお問い合わせに追加されます。"
        "やはり不要になった場合は「ストップ」と送信してください。私がお手伝いします。",
        "zh": "您目前排在第{position}位。暂时无法估计等待时间；我们力争在{sla}分钟内回复。"
        "您在这里发送的所有内容都会添加到您的工单中。改变主意了？回复“停止”，我来为您处理。",
    },
    "case_ack": {
        "en": "Your message has been added to your case. You are number {position} in the queue, about {minutes} "
        "min. to go. Reply \"stop\" to go back to the automated assistant.",
        "nl": "Je bericht is aan je zaak toegevoegd. Je bent nummer {position} in de wachtrij, nog ongeveer "
        "{minutes} min. Antwoord \"stop\" om terug te gaan naar de digitale assistent.",
        "fr": "Votre message a été ajouté à votre dossier. Vous êtes numéro {position} dans la file d'attente, "
        "encore environ {minutes} min. Répondez « stop » pour revenir à l'assistant automatique.",
        "de": "Ihre Nachricht wurde Ihrem Fall hinzugefügt. Sie sind Nummer {position} in der Warteschlange, noch "
        "etwa {minutes} Min. Antworten Sie \"stopp\", um zum digitalen Assistenten zurückzukehren.",
        "es": "Su mensaje se ha añadido a su caso. Es el número {position} en la cola; faltan unos {minutes} min. "
        "Responda \"basta\" para volver al asistente automático.",
        "it": "Il Suo messaggio è stato aggiunto alla Sua pratica. È il numero {position} in coda, mancano circa "
        "{minutes} min. Risponda \"stop\" per tornare all'assistente automatico.",
        "pt": "A sua mensagem foi acrescentada ao seu caso. É o número {position} na fila; faltam cerca de "
        "{minutes} min. Responda \"chega\" para voltar ao assistente automático.",
        "pl": "Wiadomość została dodana do zgłoszenia. Są Państwo numerem {position} w kolejce, pozostało około "
        "{minutes} min. Proszę odpisać \"stop\", aby wrócić do automatycznego asystenta.",
        "sv": "Ditt meddelande har lagts till i ditt ärende. Du är nummer {position} i kön, ungefär {minutes} min. "
        "kvar. Svara \"stopp\" för att gå tillbaka till den digitala assistenten.",
        "da": "Din besked er føjet til din sag. Du er nummer {position} i køen, cirka {minutes} min. endnu. Svar "
        "\"stop\" for at gå tilbage til den digitale assistent.",
        "ru": "Ваше сообщение добавлено к обращению. Ваш номер в очереди: {position}, ожидание около {minutes} "
        "мин. Напишите «стоп», чтобы вернуться к автоматическому помощнику.",
        "tr": "Mesajınız talebinize eklendi. Sıradaki yeriniz: {position}, yaklaşık {minutes} dk. kaldı. Otomatik "
        "asistana dönmek için \"dur\" yazın.",
        "ja": "メッセージをお問い合わせに追加しました。現在{position}番目で、あと約{minutes}分です。"
        "自動アシスタントに戻るには「ストップ」と送信してください。",
        "zh": "您的消息已添加到工单中。您目前排在第{position}位，大约还需{minutes}分钟。回复“停止”可返回自动助手。",
    },
    "case_ack_unknown": {
        "en": "Your message has been added to your case. You are number {position} in the queue; we aim to reply "
        "within {sla} min. Reply \"stop\" to go back to the automated assistant.",
        "nl": "Je bericht is aan je zaak toegevoegd. Je bent nummer {position} in de wachtrij; we streven ernaar "
        "binnen {sla} min. te antwoorden. Antwoord \"stop\" om terug te gaan naar de digitale assistent.",
        "fr": "Votre message a été ajouté à votre dossier. Vous êtes numéro {position} dans la file d'attente ; "
        "nous visons une réponse dans les {sla} min. Répondez « stop » pour revenir à l'assistant automatique.",
        "de": "Ihre Nachricht wurde Ihrem Fall hinzugefügt. Sie sind Nummer {position} in der Warteschlange; wir "
        "möchten innerhalb von {sla} Min. antworten. Antworten Sie \"stopp\", um zum digitalen Assistenten "
        "zurückzukehren.",
        "es": "Su mensaje se ha añadido a su caso. Es el número {position} en la cola; intentamos responder en "
        "menos de {sla} min. Responda \"basta\" para volver al asistente automático.",
        "it": "Il Suo messaggio è stato aggiunto alla Sua pratica. È il numero {position} in coda; il nostro "
        "obiettivo è rispondere entro {sla} min. Risponda \"stop\" per tornare all'assistente automatico.",
        "pt": "A sua mensagem foi acrescentada ao seu caso. É o número {position} na fila; o nosso objetivo é "
        "responder em menos de {sla} min. Responda \"chega\" para voltar ao assistente automático.",
        "pl": "Wiadomość została dodana do zgłoszenia. Są Państwo numerem {position} w kolejce; staramy się "
        "odpowiedzieć w ciągu {sla} min. Proszę odpisać \"stop\", aby wrócić do automatycznego asystenta.",
        "sv": "Ditt meddelande har lagts till i ditt ärende. Du är nummer {position} i kön; vi siktar på att svara "
        "inom {sla} min. Svara \"stopp\" för att gå tillbaka till den digitala assistenten.",
        "da": "Din besked er føjet til din sag. Du er nummer {position} i køen; vi stræber efter at svare inden "
        "for {sla} min. Svar \"stop\" for at gå tilbage til den digitale assistent.",
        "ru": "Ваше сообщение добавлено к обращению. Ваш номер в очереди: {position}; мы стараемся ответить в "
        "течение {sla} мин. Напишите «стоп», чтобы вернуться к автоматическому помощнику.",
        "tr": "Mesajınız talebinize eklendi. Sıradaki yeriniz: {position}; {sla} dk. içinde yanıt vermeyi "
        "hedefliyoruz. Otomatik asistana dönmek için \"dur\" yazın.",
        "ja": "メッセージをお問い合わせに追加しました。現在{position}番目です。{sla}分以内の返信を目指しています。"
        "自動アシスタントに戻るには「ストップ」と送信してください。",
        "zh": "您的消息已添加到工单中。您目前排在第{position}位；我们力争在{sla}分钟内回复。"
        "回复“停止”可返回自动助手。",
    },
    "case_withdrawn": {
        "en": "Okay, I've cancelled your request for a colleague. I'm here again: what can I do for you?",
        "nl": "Oké, ik heb je verzoek om een collega ingetrokken. Ik ben er weer: wat kan ik voor je doen?",
        "fr": "D'accord, j'ai annulé votre demande de mise en relation. Je suis de nouveau là : que puis-je faire "
        "pour vous ?",
        "de": "In Ordnung, ich habe Ihre Anfrage an einen Kollegen zurückgezogen. Ich bin wieder da: Was kann ich "
        "für Sie tun?",
        "es": "De acuerdo, he cancelado su solicitud de hablar con un compañero. Vuelvo a estar aquí: ¿en qué "
        "puedo ayudarle?",
        "it": "D'accordo, ho annullato la Sua richiesta di parlare con un collega. Sono di nuovo qui: cosa posso "
        "fare per Lei?",
        "pt": "Muito bem, cancelei o seu pedido para falar com um colega. Estou de volta: em que posso ajudar?",
        "pl": "Dobrze, wycofałem prośbę o kontakt z konsultantem. Jestem znowu do dyspozycji: w czym mogę pomóc?",
        "sv": "Okej, jag har dragit tillbaka din begäran om en kollega. Jag är här igen: vad kan jag göra för dig?",
        "da": "Okay, jeg har trukket din anmodning om en kollega tilbage. Jeg er her igen: hvad kan jeg gøre for "
        "dig?",
        "ru": "Хорошо, я отменил ваш запрос на связь с коллегой. Я снова с вами: чем могу помочь?",
        "tr": "Tamam, bir meslektaşla görüşme talebinizi iptal ettim. Yeniden buradayım: sizin için ne yapabilirim?",
        "ja": "承知しました。担当者への引き継ぎを取り消しました。引き続き私がお手伝いします。"
        "どのようなご用件でしょうか？",
        "zh": "好的，我已取消您转人工的请求。我回来了：有什么可以帮您？",
    },
    "case_withdrawn_new_request": {
        "en": "Okay, I've cancelled your request for a colleague and will help you myself.",
        "nl": "Oké, ik heb je verzoek om een collega ingetrokken en help je zelf verder.",
        "fr": "D'accord, j'ai annulé votre demande de mise en relation et je m'en occupe moi-même.",
        "de": "In Ordnung, ich habe Ihre Anfrage an einen Kollegen zurückgezogen und helfe Ihnen selbst weiter.",
        "es": "De acuerdo, he cancelado su solicitud de hablar con un compañero y le ayudo yo mismo.",
        "it": "D'accordo, ho annullato la Sua richiesta di parlare con un collega e La aiuto io.",
        "pt": "Muito bem, cancelei o seu pedido para falar com um colega e vou ajudar eu próprio.",
        "pl": "Dobrze, wycofałem prośbę o kontakt z konsultantem i pomogę sam.",
        "sv": "Okej, jag har dragit tillbaka din begäran om en kollega och hjälper dig själv.",
        "da": "Okay, jeg har trukket din anmodning om en kollega tilbage og hjælper dig selv.",
        "ru": "Хорошо, я отменил ваш запрос на связь с коллегой и помогу вам сам.",
        "tr": "Tamam, bir meslektaşla görüşme talebinizi iptal ettim; size ben yardımcı olacağım.",
        "ja": "承知しました。担当者への引き継ぎを取り消し、私がお手伝いします。",
        "zh": "好的，我已取消您转人工的请求，由我来为您处理。",
    },
    "case_with_agent": {
        "en": "{agent} has your case and sees your messages here.",
        "nl": "{agent} behandelt je zaak en ziet je berichten hier.",
        "fr": "{agent} s'occupe de votre dossier et voit vos messages ici.",
        "de": "{agent} bearbeitet Ihren Fall und sieht Ihre Nachrichten hier.",
        "es": "{agent} lleva su caso y ve sus mensajes aquí.",
        "it": "{agent} segue la Sua pratica e vede i Suoi messaggi qui.",
        "pt": "{agent} está a tratar do seu caso e vê as suas mensagens aqui.",
        "pl": "Zgłoszeniem zajmuje się {agent} i widzi tu Państwa wiadomości.",
        "sv": "{agent} har ditt ärende och ser dina meddelanden här.",
        "da": "{agent} har din sag og ser dine beskeder her.",
        "ru": "Вашим обращением занимается {agent} и видит ваши сообщения здесь.",
        "tr": "Talebinizle {agent} ilgileniyor ve mesajlarınızı burada görüyor.",
        "ja": "{agent}がお問い合わせを担当しており、こちらのメッセージを確認しています。",
        "zh": "{agent}正在处理您的工单，并能在这里看到您的消息。",
    },
    "case_returned": {
        "en": "{agent} has handed this conversation back to me, the automated assistant. What can I do for you?",
        "nl": "{agent} heeft dit gesprek weer aan mij, de digitale assistent, overgedragen. Wat kan ik voor je doen?",
        "fr": "{agent} m'a rendu cette conversation ; je suis l'assistant automatique. Que puis-je faire pour vous ?",
        "de": "{agent} hat das Gespräch an mich, den digitalen Assistenten, zurückgegeben. Was kann ich für Sie tun?",
        "es": "{agent} me ha devuelto esta conversación; soy el asistente automático. ¿En qué puedo ayudarle?",
        "it": "{agent} mi ha restituito questa conversazione; sono l'assistente automatico. Cosa posso fare per Lei?",
        "pt": "{agent} devolveu-me esta conversa; sou o assistente automático. Em que posso ajudar?",
        "pl": "{agent} przekazał(a) rozmowę z powrotem do mnie, automatycznego asystenta. W czym mogę pomóc?",
        "sv": "{agent} har lämnat tillbaka samtalet till mig, den digitala assistenten. Vad kan jag göra för dig?",
        "da": "{agent} har givet samtalen tilbage til mig, den digitale assistent. Hvad kan jeg gøre for dig?",
        "ru": "{agent} передал(а) разговор обратно мне, автоматическому помощнику. Чем могу помочь?",
        "tr": "{agent} bu görüşmeyi bana, otomatik asistana geri devretti. Sizin için ne yapabilirim?",
        "ja": "{agent}からこの会話が自動アシスタントの私に戻されました。どのようなご用件でしょうか？",
        "zh": "{agent}已将对话交还给我（自动助手）。有什么可以帮您？",
    },
    "button_withdraw": {
        "en": "Back to the assistant",
        "nl": "Terug naar de assistent",
        "fr": "Revenir à l'assistant",
        "de": "Zurück zum Assistenten",
        "es": "Volver al asistente",
        "it": "Torna all'assistente",
        "pt": "Voltar ao assistente",
        "pl": "Wróć do asystenta",
        "sv": "Tillbaka till assistenten",
        "da": "Tilbage til assistenten",
        "ru": "Вернуться к помощнику",
        "tr": "Asistana dön",
        "ja": "アシスタントに戻る",
        "zh": "返回助手",
    },
    # X: the only public answer to a mention. It never repeats what the passenger posted; the conversation goes on
    # by direct message (at most 280 characters as X counts them)
    "x_public_reply": {
        "en": "Thanks for reaching out. We'll help you by direct message: we've sent you a DM (if it doesn't "
        "arrive, please send us one). Please don't post your booking code or personal details publicly.",
        "nl": "Bedankt voor je bericht. We helpen je verder via een privébericht: we hebben je een DM gestuurd "
        "(niet ontvangen? Stuur ons een DM). Zet je boekingscode of persoonsgegevens niet openbaar online.",
        "fr": "Merci pour votre message. Nous vous aidons par message privé : nous vous avons envoyé un DM (sinon, "
        "écrivez-nous en DM). Merci de ne pas publier votre code de réservation ni vos données personnelles.",
        "de": "Danke für Ihre Nachricht. Wir helfen Ihnen per Direktnachricht weiter: Wir haben Ihnen eine DM "
        "geschickt (falls nicht, schreiben Sie uns per DM). Bitte posten Sie Ihren Buchungscode oder "
        "persönliche Daten nicht öffentlich.",
        "es": "Gracias por escribirnos. Le ayudamos por mensaje directo: le hemos enviado un DM (si no le llega, "
        "escríbanos por DM). Por favor, no publique su código de reserva ni sus datos personales.",
        "it": "Grazie per averci scritto. La aiutiamo via messaggio diretto: Le abbiamo inviato un DM (se non "
        "arriva, ci scriva in DM). Per favore non pubblichi il codice di prenotazione né dati personali.",
        "pt": "Obrigado pela sua mensagem. Ajudamos por mensagem direta: enviámos-lhe uma DM (se não chegar, "
        "envie-nos uma DM). Por favor, não publique o seu código de reserva nem dados pessoais.",
        "pl": "Dziękujemy za wiadomość. Pomożemy w wiadomości prywatnej: wysłaliśmy Państwu DM (jeśli nie dotarła, "
        "prosimy napisać do nas DM). Prosimy nie publikować kodu rezerwacji ani danych osobowych.",
        "sv": "Tack för ditt meddelande. Vi hjälper dig via direktmeddelande: vi har skickat ett DM till dig (om "
        "det inte kommer, skicka ett till oss). Publicera inte din bokningskod eller personuppgifter öppet.",
        "da": "Tak for din besked. Vi hjælper dig via direkte besked: vi har sendt dig en DM (hvis den ikke kommer, "
        "så skriv til os i en DM). Del ikke din bookingkode eller personlige oplysninger offentligt.",
        "ru": "Спасибо за обращение. Мы поможем вам в личных сообщениях: мы отправили вам DM (если оно не пришло, "
        "напишите нам в DM). Пожалуйста, не публикуйте код бронирования и личные данные.",
        "tr": "Bize yazdığınız için teşekkürler. Size doğrudan mesajla yardımcı olacağız: size bir DM gönderdik "
        "(gelmezse lütfen bize DM gönderin). Lütfen rezervasyon kodunuzu veya kişisel bilgilerinizi herkese açık "
        "paylaşmayın.",
        "ja": "ご連絡ありがとうございます。ダイレクトメッセージでご案内します。DMをお送りしました（届かない場合は、"
        "DMでご連絡ください）。予約番号や個人情報は公開で投稿しないでください。",
        "zh": "感谢您的留言。我们将通过私信为您提供帮助：我们已给您发送私信（如未收到，请私信我们）。"
        "请勿公开发布您的预订代码或个人信息。",
    },
}


def text_for(key: str, language: str, **values: object) -> str:
    entry = TEXTS[key]
    text = entry.get(language) or entry["en"]
    return text.format(**values) if values else text
