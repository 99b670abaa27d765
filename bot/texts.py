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


def text_for(key: str, language: str) -> str:
    entry = TEXTS[key]
    return entry.get(language) or entry["en"]
