"""Multilingual cue lexicons: phrasings of the four asks, and of feelings, in real social messages.

Patterns match the folded text (lower case, no accents; see ``bot.nlu.text.fold``). They are not rules that decide on
their own: the ask reader (``bot.nlu.asks``) turns a match into a feature (one column per cue) that the ask model
weighs together with the words, so a cue in a narrative ("they rebooked me, great") can still count for nothing.

Every language's cues are applied to every message (a tweet in Dutch often says "rebooken", a German one "Refund";
a misdetected language loses nothing). A new language adds its own entry here, or ``regex: ask_<name>`` /
``regex: feeling_<name>`` items in its ``intents/<lang>.yml`` (Rasa's regex format), which are read the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.nlu.cjk import CJK_CLASS
from bot.nlu.text import fold

ASKS = ("rebook", "cancel", "flight_status", "request_human")  # in the order acted on first
FEELINGS = ("anger", "urgency", "distress", "praise", "sarcasm")
CONTEXTS = ("disruption", "plea")  # what happened to the trip; a plea for help (together they often mean "rebook me")

_P = r"(?:my|our|the|this|that|a|his|her|their|mine)"

ASK_CUES: dict[str, dict[str, list[str]]] = {
    "en": {
        "rebook": [
            r"\bre-?(?:book|schedul|rout|accommodat|issue)\w*",
            r"\b(?:chang|switch|mov|swap|modif|push|bump|amend)\w* (?:up |back )?(?:" + _P + r" )?(?:\w+ )?"
            r"(?:flights?|tickets?|reservations?|bookings?|trips?|itinerar\w+|dates?|times?|return|departure|"
            r"seats? to)",
            r"\b(?:another|next|new|different|earlier|later|alternate|alternative|other|first available|"
            r"later|replacement|any other) (?:\w+ )?(?:flights?|options?|routes?|connections?|planes?|itinerar\w+)",
            r"\bget (?:me|us|him|her|them|my \w+|our \w+) (?:home|out|on|onto|to|there|back|a (?:new )?(?:seat|flight)|"
            r"where|through|moving)",
            r"\b(?:put|move|bump|switch|transfer|book) (?:me|us|him|her|them) (?:on|to|onto|up|over|in)\b",
            r"\bstand-?by\b",
            r"\b(?:miss|missed|missing|gonna miss|will miss|going to miss) (?:" + _P + r" )?connect",
            r"\bwhat (?:are|r|is) (?:my|our|the|his|her) (?:options|alternatives)\b",
            r"\b(?:any|are there|is there) (?:\w+ )?(?:seats?|flights?) (?:available|avail|left|open|out)\b",
            r"\b(?:need|want|have|trying|try|hoping|hope) (?:to|2) (?:get|be|fly|go|make it) (?:home|back|out|to|in)\b",
            r"\bfly (?:out )?(?:tomorrow|tonight|today|earlier|later|instead|home)\b",
            r"\b(?:can|could|would|will) (?:i|we|you) (?:\w+ )?(?:fly|leave|travel|go|get out) (?:out )?"
            r"(?:tomorrow|tonight|today|earlier|later|instead|on|home)\b",
            r"\bget (?:home|out of here|me out|on a flight|on the next)\b",
            r"#(?:re\w*book\w*|reschedul\w*|gethome|getmehome)",
            r"\breinstat\w*",
            r"\bneed (?:a |another |a new |an earlier |a later )?(?:flight|seat)s?\b(?! status| info| update| number)",
            r"\bhow (?:do|can|will|am|are|is|would) (?:i|we|my \w+|our \w+) (?:\w+ )?(?:get|getting|make it) "
            r"(?:home|back|out|there|to)\b",
            r"\b(?:can|could) (?:i|we) (?:still )?make it (?:to|home|back)\b",
            r"\banything (?:available|open|earlier|later|sooner|else)\b",
            r"\bneed (?:some |other )?options\b",
            r"\bhow (?:does|do) (?:the )?stand-?by\b",
        ],
        "cancel": [
            # not a narrative of who cancelled: "you cancel my flight", "thanks for cancelling", "had to cancel"
            r"(?<!\byou )(?<!\bu )(?<!\bthey )(?<!\bfor )(?<!\bhad to )(?<!\bnot )(?<!\bn't )(?<!\bdidnt )"
            r"\b(?:cancel|canceling|cancelling) (?:" + _P + r" )?(?:\w+ )?(?:ticket|booking|reservation|trip|"
            r"flight|travel|vacation|holiday|res)s?\b",
            r"\b(?:want|wanna|need|like|how (?:do|can) (?:i|we)|can (?:i|we)|have) (?:to )?cancel\b",
            r"\b(?:get|give|want|need|request|demand|like|deserve|where is|entitled to|issue|owe)\w* (?:me |us )?"
            r"(?:a |my |our |full |the )?refund\b",
            r"\brefund (?:me|us|my (?:ticket|money|flight|fare|trip)|the (?:ticket|fare|flight))\b",
            r"\b(?:my|our) money back\b",
            r"\bhow (?:do|can) (?:i|we) (?:get|request|claim) (?:a |my )?refund\b",
            r"\bnot a (?:voucher|credit)\b",
            # "actually, just cancel it" (not "they cancel it", "you cancelled it")
            r"(?<!\byou )(?<!\bu )(?<!\bthey )(?<!\bwe )(?<!\bto )\b(?:just|then|actually|please|pls|so|ok|okay) "
            r"cancel (?:it|everything|the whole thing|all)\b",
        ],
        "flight_status": [
            r"\b(?:is|was|will|has|are) (?:" + _P + r" )?(?:flight|xflight|plane|aircraft|it|flights)\s?(?:\w+ )?"
            r"(?:still )?(?:on time|delayed|cancell?ed|leaving|departing|boarding|going|taking off|operating|"
            r"landed|arriv\w+|running)\b",
            r"\b(?:any|an|the|status) (?:update|news|word|info|information|idea)s? (?:on|about|for|of|re)\b",
            r"\b(?:flight|current) status\b",
            r"\bstatus of\b",
            r"\b(?:when|what time) (?:will|does|is|are|do|would|can) (?:" + _P + r" |we |i |flight |it )?"
            r"(?:\w+ )?(?:leave|leaving|depart|take off|board|arrive|land|get|be (?:leaving|departing|boarding))",
            r"\beta\b",
            r"\b(?:which|what) gate\b",
            r"\bwhy (?:is|was|has|did) (?:" + _P + r" )?(?:\w+ )?(?:flight|xflight|plane|it) (?:\w+ )?"
            r"(?:delayed|cancell?ed|late|sitting|not)",
            r"\b(?:are|is) (?:you|flights|planes|anything) (?:still )?(?:flying|leaving|operating|departing|"
            r"going out|taking off)\b",
            r"\bwhat'?s (?:going on|happening|up) (?:with|w/?)\b",
            r"\bany idea (?:when|what time|if|whether)\b",
            r"\b(?:need|want|get|give me) (?:an |some |the )?(?:updates?|info) (?:on|about|for) "
            r"(?:my|our|the|flight|flt)",
            r"\b(?:will|can) (?:i|we) (?:still )?make (?:" + _P + r" )?connect",
            r"\b(?:delayed|on time|cancell?ed)\s?\?",
        ],
        "request_human": [
            r"\b(?:dm|pm|direct message|message|inbox) (?:me|us)\b",
            r"\b(?:please|pls|plz|can you|could you) (?:\w+ )?(?:dm|follow)\b",
            r"\bfollow (?:me|back|us)\b",
            r"\bfollowed (?:you|u)\b",
            r"\b(?:check|see|read|answer|respond to) (?:" + _P + r"|your) (?:dm|dms|direct message|messages|inbox)\b",
            r"\b(?:sent|send) (?:you |u )?(?:a |an )?(?:dm|direct message|pm)\b",
            r"\b(?:can'?t|cannot|unable to) dm\b",
            r"\b(?:call|phone|ring|contact|reach out to|email) (?:me|us)\b",
            r"\bcall ?back\b",
            r"\b(?:can|could|may|let|have) (?:i|me|we|us|someone|somebody) (?:please |pls )?(?:speak|talk|chat)\b",
            r"\b(?:want|need|like|wish|demand|get) to (?:speak|talk|chat) (?:to|with)\b",
            r"\b(?:speak|talk) (?:to|with) (?:a |an |your )?(?:human|person|agent|rep|representative|supervisor|"
            r"manager) (?:please|pls|now|asap|immediately)",
            r"\b(?:real|live|actual) (?:person|human|agent|people)\b",
            r"\b(?:answer|pick up) (?:the |your |ur )?phones?\b",
            r"\bhow (?:do|can) (?:i|we) (?:reach|contact|get (?:a ?hold|ahold) of|get through|speak|talk)\b",
            r"\bis there (?:a|another|any) (?:number|phone|way to (?:reach|contact|talk))\b",
            r"\b(?:someone|somebody) (?:please |pls )?(?:help|call|contact|dm|reach out|get back)\b",
        ],
    },
    "nl": {
        "rebook": [r"\b(?:om|her)boek", r"\bboek (?:me|mij|ons|hem|haar|hen) (?:\w+ ){0,3}om\b",
                   r"\b(?:andere|nieuwe|volgende|eerdere|latere) (?:vlucht|verbinding)",
                   r"\bvlucht (?:\w+ ){0,2}(?:wijzigen|veranderen|omzetten|verzetten|verplaatsen)",
                   r"\b(?:wijzig|verander|verzet)\w* (?:mijn |onze )?"
                   r"(?:vlucht|boeking|ticket|reis)", r"\b(?:zet|boek) (?:me|mij|ons) (?:om|op)\b",
                   r"\bwil (?:\w+ )?(?:naar huis|thuis komen)", r"\bkan ik (?:\w+ )?(?:morgen|vandaag|eerder|later) "
                   r"(?:vliegen|vertrekken|weg)", r"\baansluiting (?:gemist|missen)"],
        "cancel": [r"\bannuleer (?:mijn|onze|de)", r"\b(?:wil|kan|hoe) (?:ik |we )?(?:\w+ )?annuleren\b",
                   r"\b(?:geld|geld) terug\b", r"\b(?:terugbetaling|restitutie) (?:aanvragen|krijgen|willen)",
                   r"\bwil (?:\w+ )?(?:terugbetaling|restitutie|mijn geld)"],
        "flight_status": [r"\b(?:heeft|is) (?:mijn |de |onze )?(?:vlucht|xflight) (?:\w+ )?(?:vertraging|vertraagd|"
                          r"geannuleerd|op tijd)", r"\bwanneer (?:vertrekt|gaat|vliegt|landt)",
                          r"\b(?:welke|wat is de) gate", r"\bstatus van\b", r"\b(?:nieuws|update) over\b",
                          r"\bgaat (?:mijn |de )?(?:vlucht|xflight) (?:nog|wel)"],
        "request_human": [r"\b(?:medewerker|mens|persoon|iemand) (?:spreken|aan de lijn)",
                          r"\b(?:bel|mail|dm|app) (?:me|mij|ons)\b", r"\b(?:terugbellen|bel me terug)",
                          r"\bstuur (?:me|mij) (?:een )?(?:dm|bericht)", r"\b(?:echte|levende) (?:mens|medewerker)"],
    },
    "fr": {
        "rebook": [r"\b(?:chang|modifi|decal|report|deplac)(?:er|ez)(?:-moi|-nous)? (?:mon |notre |le |ma |mes |nos )?"
                   r"(?:vol|billet|"
                   r"reservation|voyage|depart|retour|date)", r"\b(?:autre|prochain|nouveau) vol\b",
                   r"\breplacez?[- ](?:moi|nous)", r"\bmettre sur (?:un |le )(?:autre|prochain) vol",
                   r"\b(?:rentrer|partir) (?:chez moi|a la maison|demain|ce soir|plus tot)",
                   r"\breacheminement|\breprogramm|\brebook", r"\bcorrespondance (?:ratee|manquee)"],
        "cancel": [r"\bannuler (?:mon|ma|notre|nos|le|la|mes)\b", r"\b(?:veux|voudrais|comment|peux-je|puis-je) "
                   r"(?:\w+ )?annuler\b", r"\b(?:etre |me faire )?rembourse", r"\bremboursement\b"],
        "flight_status": [r"\b(?:mon|le|notre) vol (?:\w+ )?(?:est-il|est il|sera|va|part)\b",
                          r"\ba l'heure\s?\?", r"\bquand (?:part|decolle|arrive|partira)",
                          r"\bquelle porte\b", r"\b(?:des|une) nouvelles? (?:du|de mon|sur)",
                          r"\b(?:statut|etat) (?:du|de mon) vol", r"\bretarde\s?\?|\bannule\s?\?"],
        "request_human": [r"\b(?:parler|discuter) (?:a|avec) (?:un|une|quelqu'un|un humain|un agent|un conseiller)",
                          r"\b(?:appelez|rappelez|contactez|ecrivez)[- ]?(?:moi|nous)", r"\b(?:un|une) "
                          r"(?:humain|vraie personne|conseiller|conseillere)\b", r"\b(?:en )?mp\b|\bdm\b"],
    },
    "de": {
        "rebook": [r"\bum ?(?:zu)?buch", r"\b(?:anderen?|neuen?|nachsten|fruheren?|spateren?|ersatz)[- ]?"
                   r"(?:flug|verbindung)", r"\bflug (?:\w+ )?(?:andern|umbuchen|verschieben|tauschen)",
                   r"\b(?:andern|verschieben) (?:sie )?(?:meinen|unseren) (?:flug|termin)",
                   r"\bnach hause (?:kommen|fliegen)", r"\banschluss (?:verpasst|verpassen)",
                   r"\b(?:morgen|heute|fruher|spater) (?:fliegen|abfliegen)"],
        "cancel": [r"\bstornier", r"\b(?:will|mochte|mochten|wie kann ich) (?:\w+ )?(?:absagen|canceln)",
                   r"\b(?:geld|kosten) (?:zuruck|erstattet|erstatten)", r"\b(?:ruck)?erstattung\b"],
        "flight_status": [r"\b(?:ist|hat) (?:mein |der |unser )?(?:flug|xflight) (?:\w+ )?(?:verspatet|verspatung|"
                          r"annulliert|gestrichen|punktlich|storniert)", r"\bwann (?:geht|startet|fliegt|landet)",
                          r"\bwelches gate\b", r"\b(?:neuigkeiten|infos?|update) (?:zu|uber|zum)\b",
                          r"\bflugstatus\b", r"\bfliegt (?:\w+ )?(?:heute|morgen|noch)\s?\?"],
        "request_human": [r"\b(?:mitarbeiter|mensch|menschen|person|jemanden?) (?:sprechen|erreichen|am telefon)",
                          r"\b(?:rufen sie mich|ruft mich|melden sie sich|schreiben sie mir) ",
                          r"\bruckruf\b", r"\b(?:per |eine )?(?:dm|pn|direktnachricht)\b",
                          r"\bmit (?:einem|einer) (?:mitarbeiter|menschen|person)"],
    },
    "es": {
        "rebook": [r"\b(?:cambiar|modificar|reprogramar|adelantar|atrasar|mover|cambien|cambienme|cambiame|muevan|"
                   r"modifiquen)"
                   r" (?:mi |el |nuestro |la )?"
                   r"(?:vuelo|billete|boleto|reserva|viaje|fecha|pasaje)", r"\b(?:otro|siguiente|proximo|nuevo) "
                   r"vuelo\b", r"\breubic|\breprogram|\brebook", r"\bvolver a casa\b",
                   r"\b(?:puedo|podemos|quiero|queremos) (?:volar|viajar|salir|irme|irnos) (?:\w+ )?"
                   r"(?:manana|hoy|antes|despues|el (?:lunes|martes|miercoles|jueves|viernes|sabado|domingo))",
                   r"\bconexion perdida|"
                   r"perdi (?:mi |la )?conexion"],
        "cancel": [r"\bcancelar (?:mi|mis|la|el|nuestro|nuestra)\b", r"\b(?:quiero|como|puedo) (?:\w+ )?cancelar\b",
                   r"\breembols", r"\bdevolucion (?:del|de mi) dinero|\bdevuelvan (?:mi|el) dinero"],
        "flight_status": [r"\b(?:mi|el|nuestro) vuelo (?:\w+ )?(?:esta|sale|va|saldra|llega)\b",
                          r"\ba tiempo\s?\?", r"\b(?:cuando|a que hora) (?:sale|despega|llega|saldra)",
                          r"\bque puerta\b", r"\bestado de(?:l| mi) vuelo", r"\b(?:retrasado|cancelado)\s?\?",
                          r"\b(?:novedades|noticias|info\w*) (?:sobre|del|de mi)\b"],
        "request_human": [r"\bhablar con (?:un|una|alguien|un humano|una persona|un agente|un asesor)",
                          r"\b(?:llamenme|llamame|contactenme|escribanme)\b", r"\b(?:un|una) (?:humano|persona "
                          r"real|asesor|agente)\b", r"\b(?:por )?(?:dm|md|privado)\b"],
    },
    "it": {
        "rebook": [r"\b(?:cambiare|modificare|spostare|anticipare|posticipare|(?:cambia|sposta|modifica)te(?:mi|ci)?)"
                   r" (?:il |mio |il mio |la |nostro )?"
                   r"(?:volo|biglietto|prenotazione|viaggio|data)", r"\b(?:altro|prossimo|nuovo) volo\b",
                   r"\b(?:riprotegg|riprenot|rebook)", r"\btornare a casa\b", r"\bcoincidenza persa|"
                   r"perso (?:la )?coincidenza"],
        "cancel": [r"\bannullare (?:il|la|mio|mia|nostro|nostra)\b", r"\b(?:voglio|vorrei|come|posso) (?:\w+ )?"
                   r"(?:annullare|cancellare)\b", r"\brimbors",
                   r"\b(?:cancella|annulla|cancellate|annullate)(?:mi)? (?:la |il |mia |mio |la mia |il mio )?"
                   r"(?:prenotazione|biglietto|volo|viaggio)\b"],
        "flight_status": [r"\b(?:il mio|il|nostro) volo (?:\w+ )?(?:e|parte|sara|va)\b", r"\bin orario\s?\?",
                          r"\b(?:quando|a che ora) (?:parte|decolla|arriva|partira)", r"\bquale gate\b",
                          r"\bstato del (?:mio )?volo", r"\b(?:in ritardo|cancellato|annullato)\s?\?",
                          r"\b(?:notizie|aggiornamenti) (?:sul|sulla|del)\b"],
        "request_human": [r"\bparlare con (?:un|una|qualcuno|un operatore|una persona|un umano)",
                          r"\b(?:chiamatemi|richiamatemi|contattatemi|scrivetemi)\b", r"\b(?:un|una) "
                          r"(?:operatore|operatrice|persona vera|persona reale)\b", r"\b(?:in )?(?:dm|privato)\b"],
    },
    "pt": {
        "rebook": [r"\b(?:remarcar|alterar|mudar|trocar|antecipar|adiar|mudem|troquem|alterem|remarquem)"
                   r" (?:o |meu |o meu |a |minha |nosso )?"
                   r"(?:voo|bilhete|passagem|reserva|viagem|data)", r"\b(?:outro|proximo|novo) voo\b",
                   r"\bremarc|\breacomod|\brebook", r"\bvoltar para casa\b", r"\bperdi (?:a |minha )?conexao"],
        "cancel": [r"\bcancelar (?:o|a|meu|minha|nosso|nossa)\b", r"\b(?:quero|queria|como|posso) (?:\w+ )?"
                   r"cancelar\b", r"\breembols", r"\bdinheiro de volta"],
        "flight_status": [r"\b(?:o meu|meu|o|nosso) voo (?:\w+ )?(?:esta|sai|vai|saira|chega)\b",
                          r"\bno horario\s?\?", r"\b(?:quando|a que horas) (?:sai|parte|decola|chega)",
                          r"\bqual portao\b", r"\b(?:estado|status) do (?:meu )?voo", r"\b(?:atrasado|cancelado)\s?\?",
                          r"\b(?:novidades|noticias) (?:sobre|do)\b"],
        "request_human": [r"\bfalar com (?:um|uma|alguem|um atendente|uma pessoa|um humano)",
                          r"\b(?:me liguem|liguem-me|me contactem|contactem-me)\b", r"\b(?:um|uma) (?:atendente|"
                          r"pessoa real|humano)\b", r"\b(?:por )?(?:dm|privado|inbox)\b"],
    },
    "pl": {
        "rebook": [r"\b(?:zmienic|zmiana|przebukowac|przebukowanie|przeniesc|przesunac|zmiencie|przeniescie|przesuncie)"
                   r" (?:mi |moj |moja |nasz )?"
                   r"(?:lot|bilet|rezerwacj\w*|termin|date)", r"\b(?:inny|nastepny|nowy|wczesniejszy|pozniejszy) lot",
                   r"\bprzebuk|\brebook", r"\bwrocic do domu\b", r"\bprzesiadk\w* (?:ucieknie|uciekla|przepadla)"],
        "cancel": [r"\banulowac (?:moj|moja|nasz|rezerwacj|bilet|lot)", r"\b(?:chce|chcialbym|chcialabym|jak) "
                   r"(?:\w+ )?anulowac\b", r"\bzwrot (?:pieniedzy|kosztow|za bilet)", r"\bzwrotu pieniedzy"],
        "flight_status": [r"\b(?:czy )?(?:moj |nasz )?lot (?:\w+ )?(?:jest|bedzie) (?:opozniony|odwolany|na czas)",
                          r"\bkiedy (?:wylatuje|odlatuje|startuje|laduje|wylot)", r"\bktora bramka\b",
                          r"\bstatus (?:lotu|mojego lotu)", r"\b(?:opozniony|odwolany)\s?\?"],
        "request_human": [r"\b(?:rozmawiac|porozmawiac) z (?:konsultantem|czlowiekiem|kims|pracownikiem)",
                          r"\b(?:zadzwoncie|oddzwoncie|napiszcie) (?:do mnie)?", r"\b(?:zywy|prawdziwy) "
                          r"(?:czlowiek|konsultant)", r"\b(?:na )?(?:dm|priv|prv)\b"],
    },
    "sv": {
        "rebook": [r"\bboka om\b|\bombok", r"\b(?:annat|nasta|nytt|tidigare|senare) flyg\b",
                   r"\b(?:andra|flytta) (?:min |mitt |var )?(?:flyg|bokning|resa|biljett|datum)",
                   r"\b(?:komma|flyga) hem\b", r"\bmissat? (?:min )?anslutning"],
        "cancel": [r"\bavboka\b", r"\b(?:vill|hur) (?:\w+ )?(?:avboka|avbryta)\b", r"\bpengarna tillbaka\b",
                   r"\b(?:aterbetalning|terbetalning)\b"],
        "flight_status": [r"\b(?:ar|blir) (?:mitt |vart )?(?:flyg|xflight) (?:\w+ )?(?:forsenat|installt|i tid)",
                          r"\bnar (?:gar|avgar|landar|lyfter)", r"\bvilken gate\b", r"\bstatus (?:for|pa) ",
                          r"\b(?:ar|blir) (?:det|den|han) (?:\w+ )?(?:installt|forsenat|i tid)\b",
                          r"\b(?:installt|forsenat)\s?\?"],
        "request_human": [r"\b(?:prata|tala) med (?:en |nagon)", r"\b(?:ring|maila|dm:?a) (?:mig|oss)\b",
                          r"\b(?:riktig|levande) (?:manniska|person)", r"\bkontakta mig\b"],
    },
    "da": {
        "rebook": [r"\bombook|\bbooke om\b", r"\b(?:andet|naeste|nyt|tidligere|senere) fly\b",
                   r"\b(?:aendre|flytte) (?:min |mit |vores )?(?:fly|flyrejse|booking|rejse|billet|dato)",
                   r"\b(?:komme|flyve) hjem\b", r"\bmistet? (?:min )?forbindelse"],
        "cancel": [r"\bafbestil", r"\b(?:vil|hvordan) (?:\w+ )?(?:afbestille|annullere)\b", r"\bpengene tilbage\b",
                   r"\brefusion\b"],
        "flight_status": [r"\b(?:er|bliver) (?:mit |vores )?(?:fly|xflight) (?:\w+ )?(?:forsinket|aflyst|til tiden)",
                          r"\bhvornar (?:gar|afgar|letter|lander)", r"\bhvilken gate\b", r"\bstatus (?:for|pa) ",
                          r"\b(?:er|bliver) (?:det|den|han) (?:\w+ )?(?:aflyst|forsinket|til tiden)\b",
                          r"\b(?:aflyst|forsinket)\s?\?"],
        "request_human": [r"\b(?:tale|snakke) med (?:en |nogen)", r"\b(?:ring|mail|skriv) (?:til )?mig\b",
                          r"\b(?:rigtig|levende) (?:person|menneske)", r"\bkontakt mig\b"],
    },
}

# Russian, Turkish, Japanese and Chinese are written here as they are spelled and folded when the module loads
# (й -> и, ё -> е; ı/ş/ğ/ç/ö/ü -> i/s/g/c/o/u; Traditional and Japanese kanji -> their Simplified form, e.g. 時 -> 时).
# Japanese and Chinese have no spaces between words: their patterns carry no \b and match anywhere.
_ASK_CUES_UNFOLDED: dict[str, dict[str, list[str]]] = {
    "ru": {
        # the ask, not the story: "перебронируйте" (rebook me), never "перебронировали" (they rebooked me)
        "rebook": [r"\bпере(?:бронир|бук)(?:уйте|уй|овать|уете|уем)\b", r"\bпереоформ(?:ите|ить)\b",
                   r"\bпересади(?:те)? (?:меня|нас)\b",
                   r"\bпосади(?:те)? (?:меня|нас)\b", r"\bотправьте (?:меня|нас)\b",
                   r"\b(?:перенес(?:ти|ите|и)|поменя(?:ть|йте|й)|измени(?:ть|те)|смени(?:ть|те)|сдвин(?:уть|ьте))"
                   r" (?:\w+ ){0,2}(?:рейс|билет|дат|брон|вылет|перел[её]т|поездк|обратн)\w*",
                   r"\b(?:друг|следующ|нов|ближайш|ранн|поздн|утренн|вечерн)\w* (?:\w+ )?рейс",
                   r"\b(?:самый|самого) (?:ранн|первы|ближайш)\w* рейс",
                   r"\bнуж(?:ен|но|на) (?:\w+ ){0,2}(?:рейс|улететь|вылететь|домой|билет)",
                   r"\b(?:улететь|вылететь|улечу|полететь|вернуться|попасть|добраться) (?:\w+ )?"
                   r"(?:домой|завтра|сегодня|раньше|позже|вместо)",
                   r"\b(?:опоздал|пропустил)\w* (?:на )?(?:пересадк|стыковк)\w*", r"\bлюб(?:ым|ой) рейс"],
        "cancel": [r"\bотмените (?:\w+ )?(?:брон|билет|поездк|заказ|рейс|вс[её]|мо|наш)\w*",
                   r"\b(?:хочу|хотим|хотел|хотела|как|можно|нужно|надо|прошу) (?:\w+ )?(?:отменить|аннулировать|сдать)",
                   r"\bверните (?:\w+ )?(?:деньги|стоимость|мои)", r"\bденьги (?:назад|обратно)",
                   r"\b(?:требую|хочу|оформите|нужен|прошу) (?:\w+ )?возврат", r"\bвозврат (?:денег|средств|билета)",
                   r"\bсдать (?:\w+ )?билет"],
        "flight_status": [r"\b(?:вылетит|полетит|улетит|взлетим|вылетаем|полетим|отправится|прилетит)\b",
                          r"\bкогда (?:\w+ ){0,2}(?:вылет|взл[её]т|посадк|вылета|вылетит|полет|взлет|прилет|отправ)",
                          r"\bкакой (?:выход|гейт|терминал)", r"\bстатус (?:рейса|моего|нашего)",
                          r"\b(?:новости|информаци\w*|инфо|апдейт) (?:по|о|об|про) (?:\w+ )?рейс",
                          r"\b(?:задерживается|задержан|отмен[её]н|отменили|по расписанию|вовремя)\w*\s?\?",
                          r"\bрейс (?:\w+ ){0,3}(?:ещ[её]|вс[её] ещ[её]) (?:задерж|летит|в силе)"],
        "request_human": [r"\b(?:поговорить|говорить|связаться|соедините|свяжите) (?:\w+ )?(?:с|со) "
                          r"(?:\w+ )?(?:оператор|человек|сотрудник|менеджер|специалист)",
                          r"\bжив(?:ого|ой|ым|ому) (?:человек|оператор|сотрудник)\w*",
                          r"\b(?:перезвоните|позвоните|напишите|свяжитесь со|ответьте) (?:мне|нам)\b",
                          r"\bв (?:личку|лс|личные сообщения|директ)\b", r"\bдозвониться\b",
                          r"\bоператор(?:а|ом)\b"],
    },
    "tr": {
        "rebook": [r"\b(?:ucus|bilet|rezervasyon|tarih|donus|gidis)\w* (?:\w+ )?(?:degistir|ertele|al)(?:mek|in|ir|e)",
                   r"\bdegistir(?:mek|in|ebilir)\w* (?:\w+ )?(?:ucus|bilet|rezervasyon|tarih)?",
                   r"\b(?:baska|sonraki|ilk|yeni|erken|gec|diger|alternatif) (?:bir )?(?:\w+ )?ucus",
                   r"\baktar(?:in|ir mi|abilir|mak ist)\w*", r"\bbeni (?:\w+ ){0,3}(?:alin|koyun|bindirin)\b",
                   r"\b(?:eve|yarin|bugun|erken) (?:\w+ )?(?:donmem|ucmam|gitmem|donmemiz|ucmamiz) (?:lazim|gerek)",
                   r"\b(?:ucabilir|donebilir|gidebilir) miyiz|\b(?:ucabilir|donebilir|gidebilir) miyim",
                   r"\b(?:aktarmayi|aktarmami|baglantiyi|baglantimi) kacir", r"\bertele(?:mek|yin|yebilir)\w*"],
        "cancel": [r"\biptal (?:etmek|edin|edebilir|ettirmek|et)\b", r"\biptal et(?:mek|tir)\w*",
                   r"\bpara(?:m|mi|mizi|yi|lari)? (?:\w+ )?(?:iade|geri)",
                   r"\biade (?:istiyorum|edin|talep|etmeniz)\w*",
                   r"\bgeri odeme\w* (?:\w+ )?(?:istiyorum|talep|yapin)", r"\biade edilsin"],
        "flight_status": [r"\b(?:rotarli|iptal|gecikmeli|zamaninda|erteli|kalkacak|kalkiyor|ucacak|inecek)\w* m[iu]\b",
                          r"\bne zaman (?:\w+ )?(?:kalk|in|hareket|uc|bin)\w*", r"\bhangi kapi", r"\bucus durumu",
                          r"\bucus\w* (?:ilgili |hakkinda )?(?:bir |yeni )?(?:haber|bilgi|guncelleme)",
                          r"\b(?:haber|bilgi|guncelleme) var mi", r"\b(?:da|de) mi iptal"],
        "request_human": [r"\b(?:temsilci|yetkili|operator|insan|kisi|personel)\w* (?:ile |biriyle )?"
                          r"(?:gorus|konus|ulas|baglan)",
                          r"\b(?:gercek|canli) (?:bir )?(?:insan|kisi|temsilci|operator)",
                          r"\b(?:beni|bizi) (?:geri )?ara(?:yin|yabilir|sin)", r"\bgeri (?:arayin|donus yapin)",
                          r"\b(?:dm|ozelden|ozel mesaj)\b", r"\bnasil ulas", r"\btelefon(?:u|lari)? (?:acin|acmiyor)"],
    },
    "ja": {
        "rebook": [r"振替(?:を|お|し|希望|便|手続|でき|可能|て|え)", r"振り替え(?:て|を|お|でき|希望|可能|たい)",
                   r"(?:便|予約|日程|フライト|チケット|航空券|帰り|行き|日にち|日付|出発日)(?:を|の)?(?:変更|変え)"
                   r"(?:し|て|た|でき|お|る)", r"(?:別|次|他|早い|遅い|新しい|代わり|代替|明日|今日)の(?:便|フライト)",
                   r"に(?:変更|変え)(?:し|て|た|でき|お|る)", r"変更(?:したい|して|希望|をお願|お願|できま|可能)",
                   r"乗せて", r"便で(?:行け|帰れ|飛べ)", r"(?:帰りたい|帰らないと|帰らなきゃ|帰れますか)",
                   r"代替便|振替便"],
        "cancel": [r"キャンセル(?:し(?:たい|て|ます)|を|お願|でき|希望|料|扱い)",
                   r"(?:払い?戻し|返金)(?:を|して|お願|希望|"
                   r"でき|要求|し|て|は可能)?", r"取り?消し(?:たい|て|を)", r"お金(?:を)?返して"],
        "flight_status": [r"いつ(?:に)?(?:なったら)?(?:出発|離陸|飛|出る|着|搭乗)", r"(?:何番|どの)ゲート",
                          r"ゲート(?:は|どこ)",
                          r"(?:欠航|遅延|遅れ|遅れてる|遅れている|定刻|予定通り|運航)(?:なの|です|してます|してる|しますか|"
                          r"になります|ですか|ますか)?(?:か)?\s?\?",
                          r"(?:について|の)(?:何か)?(?:情報|最新情報|状況|見込み|見通し)",
                          r"運航状況|フライト状況|飛ぶの|飛びますか|出発しますか|まだ遅れ|飛ぶんですか"],
        "request_human": [r"(?:オペレーター|担当者|人間|スタッフ|係の人|人)(?:と|に)(?:話|つない|繋い|代わ|相談)",
                          r"(?:オペレーター|担当者|人間の担当|スタッフ)を?(?:出して|お願い)", r"折り返し",
                          r"電話(?:して|ください|を?ください|下さい|をお願い)", r"dm(?:で|を|に|ください|お願い)",
                          r"連絡(?:ください|して|下さい|をください)",
                          r"電話(?:が)?(?:全然|ぜんぜん)?(?:つながらない|繋がらない)",
                          r"人と話"],
    },
    "zh": {
        "rebook": [r"改签", r"改(?:到|成|一下|个)?(?:航班|日期|时间|机票|明天|后天|下一班|晚上|早上|周)",
                   r"换(?:个|一个|成|到)?(?:航班|班机|别的)",
                   r"下一班|别的航班|其他航班|另一班|最近(?:的)?一班|最早(?:的)?一班",
                   r"(?:安排|帮)(?:我|我们)(?:坐|上|改|换|订)?", r"(?:明天|今天|今晚)(?:能|可以)(?:走|飞|回)",
                   r"新(?:的)?航班", r"重新(?:预订|订|安排)"],
        "cancel": [r"(?:要|想|帮我|给我|请|把)[^,。!?]{0,8}取消", r"取消(?:订单|预订|预定|机票|行程|我的)",
                   r"退(?:票|钱|款)", r"退掉", r"退给我", r"全额退"],
        "flight_status": [r"(?:飞不飞|走不走|能不能飞|能飞吗|起飞吗|还飞吗)",
                          r"什么时候(?:能)?(?:起飞|出发|登机|到|走|飞)",
                          r"(?:哪个|几号)登机口", r"(?:延误|取消|准点|正常|晚点)(?:了)?吗",
                          r"有(?:什么)?(?:消息|最新消息|进展|更新)吗",
                          r"航班(?:动态|状态)", r"还在(?:延误|晚点)"],
        "request_human": [r"人工", r"真人", r"回(?:个)?电话", r"打(?:个)?(?:电话)?给我", r"私信(?:我|给我)",
                          r"联系(?:我|到)", r"(?:跟|和|与)(?:人|客服|工作人员)(?:说|谈|联系|沟通)"],
    },
}
_CONTEXT_CUES_UNFOLDED: dict[str, dict[str, list[str]]] = {
    "ru": {"disruption": [r"\bотмен(?:или|ен|ена|ился)\b|\bзастрял\w*|\b(?:опоздал|пропустил)\w* (?:на )?(?:пересадк|"
                          r"стыковк)|\bотмена рейса"],
           "plea": [r"\bпомогите|\bпомощь|\bчто (?:мне|нам) (?:теперь )?делать|\bи что теперь"]},
    "tr": {"disruption": [r"\biptal (?:edildi|oldu|ettiniz)|\bmahsur|\b(?:aktarma|baglanti)\w* kacir"],
           "plea": [r"\byardim|\bne yapacag|\bne yapmaliy|\bsimdi ne olacak"]},
    "ja": {"disruption": [r"欠航|乗り継ぎ(?:に間に合わ|を逃|できな)|足止め|キャンセルになっ"],
           "plea": [r"助けて|どうすれば|どうしたら|どうしよう"]},
    "zh": {"disruption": [r"取消了|被取消|错过(?:了)?(?:转机|中转|航班)|被困|滞留"],
           "plea": [r"帮帮|怎么办|求助|救命"]},
}
# Words that ask for the money back (not features of any model: the dialogue reads them as the "refund" flag, so a
# passenger whose flight the airline cancelled and who asks for a refund is not offered rebooking first)
_REFUND_CUES_UNFOLDED: dict[str, list[str]] = {
    "en": [r"\brefund", r"\bmoney back\b", r"\breimburs"],
    "nl": [r"\bgeld terug\b", r"\bterugbetal", r"\brestitutie"],
    "fr": [r"\brembours", r"\bmon argent\b"],
    "de": [r"erstatt", r"\bgeld zurück\b"],
    "es": [r"\breembols", r"\bdevolución del dinero\b", r"\bmi dinero\b"],
    "it": [r"\brimbors", r"\bsoldi indietro\b"],
    "pt": [r"\breembols", r"\bdinheiro de volta\b", r"\bdevolução do dinheiro\b"],
    "pl": [r"\bzwrot\w*", r"\bzwróc\w* (?:mi |nam )?pieniądz"],
    "sv": [r"\båterbetal", r"\bpengar(?:na)? tillbaka\b", r"\båterbetalning"],
    "da": [r"\brefusion", r"\brefunder", r"\bpengene tilbage\b", r"\btilbagebetal"],
    "ru": [r"\bвозврат\w*", r"\bверн\w* (?:мне |нам )?деньги", r"\bвозмест\w*"],
    "tr": [r"\biade\w*", r"\bparam\w* geri"],
    "ja": [r"返金", r"払い戻", r"払戻"],
    "zh": [r"退款", r"退钱", r"退票"],
}
REFUND_CUES: list[str] = [fold(p) for ps in _REFUND_CUES_UNFOLDED.values() for p in ps]
# Care while waiting (meals, a hotel, transport) and compensation: the dialogue answers these with what EU261 gives
# (the "care" and "compensation" flags), not with the generic rebook-or-refund text
_CARE_CUES_UNFOLDED: dict[str, list[str]] = {
    "en": [r"\bhotels?\b", r"\bmeals?\b", r"\bfood\b", r"\baccommodation", r"\bsomewhere to (?:sleep|stay)",
           r"\btaxi\b", r"\bovernight\b", r"\bplace to sleep\b"],
    "nl": [r"\bhotel", r"\bmaaltijd", r"\beten\b", r"\boverna?cht", r"\bslaapplek", r"\btaxi\b"],
    "fr": [r"\bhôtel", r"\bhotel", r"\brepas\b", r"\bnourriture\b", r"\bhébergement", r"\btaxi\b", r"\bdormir\b"],
    "de": [r"\bhotel", r"\bmahlzeit", r"\bessen\b", r"\bverpflegung", r"\bübernachtung", r"\bunterkunft", r"\btaxi\b"],
    "es": [r"\bhotel", r"\bcomida", r"\balojamiento", r"\bdormir\b", r"\btaxi\b"],
    "it": [r"\bhotel\b", r"\balbergo", r"\bpasti?\b", r"\bcibo\b", r"\balloggio", r"\bdormire\b", r"\btaxi\b"],
    "pt": [r"\bhotel", r"\brefeiç", r"\bcomida", r"\balojamento", r"\bhospedagem", r"\bdormir\b", r"\btáxi\b"],
    "pl": [r"\bhotel\w*", r"\bposił\w*", r"\bjedzeni\w*", r"\bnocleg\w*", r"\btaksówk\w*"],
    "sv": [r"\bhotell", r"\bmåltid", r"\bmat\b", r"\bövernattning", r"\btaxi\b"],
    "da": [r"\bhotel", r"\bmåltid", r"\bmad\b", r"\bovernatning", r"\btaxa\b"],
    "ru": [r"\bгостиниц\w*", r"\bотел\w*", r"\bпитани\w*", r"\bеда\b", r"\bеду\b", r"\bночлег\w*", r"\bтакси\b"],
    "tr": [r"\botel\w*", r"\byemek\w*", r"\bkonaklama\w*", r"\btaksi\w*"],
    "ja": [r"ホテル", r"宿泊", r"食事", r"タクシー"],
    "zh": [r"酒店", r"住宿", r"宾馆", r"餐食", r"吃饭", r"出租车"],
}
_COMPENSATION_CUES_UNFOLDED: dict[str, list[str]] = {
    "en": [r"\bcompensat", r"\beu ?261\b", r"\bclaim\b"],
    "nl": [r"\bcompensatie", r"\bschadevergoeding", r"\bvergoeding"],
    "fr": [r"\bindemnisation", r"\bindemnité", r"\bdédommagement", r"\bcompensation"],
    "de": [r"\bentschädigung", r"\bausgleichszahlung", r"\bkompensation"],
    "es": [r"\bcompensación", r"\bindemnización"],
    "it": [r"\brisarciment", r"\bindennizz", r"\bcompensazion"],
    "pt": [r"\bindemnização", r"\bindenização", r"\bcompensação"],
    "pl": [r"\bodszkodowani\w*", r"\brekompensat\w*"],
    "sv": [r"\bersättning", r"\bkompensation"],
    "da": [r"\bkompensation", r"\berstatning"],
    "ru": [r"\bкомпенсац\w*"],
    "tr": [r"\btazminat\w*"],
    "ja": [r"補償", r"賠償"],
    "zh": [r"赔偿", r"补偿"],
}
# What a change or a cancellation costs ("what does it cost?", "is there a fee?", "wat kost dat?"): the "price" flag;
# the dialogue answers with the terms of the passenger's own ticket (flows/fare_terms.yml)
_PRICE_CUES_UNFOLDED: dict[str, list[str]] = {
    "en": [r"\bhow much\b", r"\bcosts?\b", r"\bcosting\b", r"\bfees?\b", r"\bprice\b", r"\bis it free\b",
           r"\bfree of charge\b", r"\bpay (?:extra|more|anything|a fee)\b", r"\bcharge (?:me|us|anything|extra)\b"],
    "nl": [r"\bkost(?:en|t)?\b", r"\bhoeveel\b", r"\bprijs\b", r"\btoeslag", r"\bextra betalen\b",
           r"\bwijzigingskosten"],
    "fr": [r"\bcombien\b", r"\bcoûte", r"\bcoût\b", r"\bfrais\b", r"\bprix\b", r"\bgratuit"],
    "de": [r"\bkoste[tn]?\b", r"\bwie ?viel\b", r"\bgebühr", r"\bpreis\b", r"\baufpreis", r"\bkostenlos",
           r"\bumsonst\b"],
    "es": [r"\bcuánto\b", r"\bcuesta\b", r"\bcoste\b", r"\bcosto\b", r"\bprecio\b", r"\bcargo\b",
           r"\bpenalización"],
    "it": [r"\bquanto costa", r"\bcosta\b", r"\bcosto\b", r"\bprezzo\b", r"\bpenale\b", r"\bsupplemento\b",
           r"\bgratuit"],
    "pt": [r"\bquanto custa", r"\bcusta\b", r"\bcusto\b", r"\bpreço\b", r"\btaxa\b", r"\bgrátis\b"],
    "pl": [r"\bile (?:to )?kosztuj", r"\bkosztuj\w*", r"\bkoszt\w*", r"\bcen[aeęy]\b", r"\bopłat\w*",
           r"\bbezpłatn\w*", r"\bza darmo\b"],
    "sv": [r"\bkostar\b", r"\bkostnad\w*", r"\bavgift\w*", r"\bvad blir priset\b"],
    "da": [r"\bkoster\b", r"\bgebyr\w*", r"\bhvad er prisen\b"],
    "ru": [r"\bсколько стоит", r"\bстоит\b", r"\bстоимост\w*", r"\bцен[аыу]\b", r"\bсбор\w*",
           r"\bбесплатн\w*", r"\bдоплат\w*"],
    "tr": [r"\bne kadar\b", r"\bücret\w*", r"\bfiyat\w*"],
    "ja": [r"いくら", r"料金", r"手数料", r"費用", r"無料"],
    "zh": [r"多少钱", r"多少錢", r"费用", r"手续费", r"收费", r"免费", r"价格"],
}
CARE_CUES: list[str] = [fold(p) for ps in _CARE_CUES_UNFOLDED.values() for p in ps]
COMPENSATION_CUES: list[str] = [fold(p) for ps in _COMPENSATION_CUES_UNFOLDED.values() for p in ps]
PRICE_CUES: list[str] = [fold(p) for ps in _PRICE_CUES_UNFOLDED.values() for p in ps]
_FEELING_CUES_UNFOLDED: dict[str, dict[str, list[str]]] = {
    "ru": {"urgency": [r"\b(?:срочно|немедленно|сейчас же|сегодня вечером|как можно скорее)\b"],
           "distress": [r"\b(?:застрял\w*|ребен\w*|дет(?:и|ьми|ей)|коляск\w*|похорон\w*|болен|больна|отчаян\w*)\b"],
           "praise": [r"\b(?:спасибо|благодар\w*|отлично|прекрасно|молодцы)\b"],
           "sarcasm": [r"\b(?:спасибо за ничего|ну спасибо|прекрасный сервис|браво|супер сервис)\b"]},
    "tr": {"urgency": [r"\b(?:acil|hemen|derhal|bu aksam|en kisa surede)\b"],
           "distress": [r"\b(?:mahsur|bebe\w*|cocu\w*|tekerlekli|cenaze|hasta|caresiz)\b"],
           "praise": [r"\b(?:tesekkur\w*|sagol\w*|harika|super|mukemmel)\b"],
           "sarcasm": [r"\b(?:aferin|tebrikler|harika hizmet|cok tesekkurler ya)\b"]},
    "ja": {"urgency": [r"至急|今すぐ|急いで|緊急"], "distress": [r"足止め|子供|赤ちゃん|車椅子|葬儀|病気"],
           "praise": [r"ありがとう|助かりました|素晴らしい"],
           "sarcasm": [r"さすがですね|最高ですね|素晴らしいサービス"]},
    "zh": {"urgency": [r"紧急|马上|立刻|尽快"], "distress": [r"被困|滞留|孩子|宝宝|轮椅|葬礼|生病"],
           "praise": [r"谢谢|感谢|太好了"], "sarcasm": [r"真棒啊|真是太好了|服务真好"]},
}


def _folded(table: dict[str, dict[str, list[str]]]) -> dict[str, dict[str, list[str]]]:
    return {lang: {name: [fold(p) for p in ps] for name, ps in cues.items()} for lang, cues in table.items()}


ASK_CUES.update(_folded(_ASK_CUES_UNFOLDED))
# "cancel it" said as an order, in the middle of something else ("en realidad, cancela la reserva", "mejor
# cancélalo", "annuleer het gewoon", "annulez-la"): folded forms
_CANCEL_IT = {
    "es": [r"\bcancel(?:a|e)(?:lo|la)\b", r"\bcancela (?:la|mi|el) (?:reserva|vuelo|billete)\b", r"\bmejor cancel"],
    "nl": [r"\bannuleer (?:het|maar|alles|gewoon|dan)\b"],
    "fr": [r"\bannule(?:z)?[- ](?:la|le|tout)\b"],
    "it": [r"\b(?:cancella|annulla)(?:la|lo|te)\b"],
    "pt": [r"\bcancel(?:a|e)-(?:a|o)\b", r"\bcancela (?:a|minha) reserva\b"],
}
for _lang, _patterns in _CANCEL_IT.items():
    ASK_CUES[_lang]["cancel"] = [*ASK_CUES[_lang]["cancel"], *_patterns]

CONTEXT_CUES: dict[str, dict[str, list[str]]] = {
    "en": {"disruption": [r"\bcancell?(?:ed|ation)", r"\bmiss(?:ed|ing)? (?:" + _P + r" )?(?:connect\w*|flight)",
                          r"\b(?:stranded|stuck|bumped|oversold|diverted)\b",
                          r"\bcan'?t make (?:" + _P + r" )?connect"],
           "plea": [r"\bhelp\b", r"\bwhat (?:should|do|can|am) (?:i|we)\b", r"\bwhat now\b", r"\bany (?:ideas|help)\b",
                    r"\bassist", r"\bwhat are (?:my|our) options\b", r"\bneed (?:a flight|assistance)\b"]},
    "nl": {"disruption": [r"\bgeannuleerd|\bgeschrapt|\baansluiting gemist|\bgestrand"],
           "plea": [r"\bhelp\b|\bhulp\b|\bwat (?:moet|kan) ik\b|\bwat nu\b"]},
    "fr": {"disruption": [r"\bannule|\bsupprime|\bcorrespondance (?:ratee|manquee)|\bbloque"],
           "plea": [r"\baide|\bje fais quoi\b|\bet maintenant\b|\bque faire\b"]},
    "de": {"disruption": [r"\bannulliert|\bgestrichen|\banschluss verpasst|\bgestrandet|\bsitze fest"],
           "plea": [r"\bhilfe\b|\bhelfen\b|\bwas (?:soll|kann) ich\b|\bund jetzt\b"]},
    "es": {"disruption": [r"\bcancelad|\bcancelaron|\bperdi (?:la |mi )?conexion|\bvarad"],
           "plea": [r"\bayuda|\bque hago\b|\by ahora\b"]},
    "it": {"disruption": [r"\bcancellat|\bannullat|\bpers[oa] (?:la )?coincidenza|\bbloccat"],
           "plea": [r"\baiut|\bcosa faccio\b|\be adesso\b"]},
    "pt": {"disruption": [r"\bcancelad|\bcancelaram|\bperdi (?:a )?conexao|\bpres[oa]s?\b"],
           "plea": [r"\bajud|\bsocorro\b|\bo que faco\b|\be agora\b"]},
    "pl": {"disruption": [r"\bodwolan|\bprzesiadk\w* (?:ucieka|uciekla|przepadla)|\butkn"],
           "plea": [r"\bpomoc|\bco (?:mam|teraz)\b"]},
    "sv": {"disruption": [r"\binstallt|\bmissade (?:min )?anslutning|\bstrandsatt"],
           "plea": [r"\bhjalp|\bvad ska jag\b|\boch nu\b"]},
    "da": {"disruption": [r"\baflyst|\bmistede (?:min )?forbindelse|\bstrandet"],
           "plea": [r"\bhjaelp|\bhvad gor jeg\b|\bog hvad nu\b"]},
}
CONTEXT_CUES.update(_folded(_CONTEXT_CUES_UNFOLDED))

FEELING_CUES: dict[str, dict[str, list[str]]] = {
    "en": {
        "urgency": [r"\b(?:asap|urgent\w*|immediately|right now|emergency|tonight|in \d+ (?:min|hour))",
                    r"\b(?:need|have) to be (?:in|at|home)\b", r"\b(?:leaves|departs|boarding) in\b"],
        "distress": [r"\b(?:stranded|stuck|sleeping (?:at|in) the airport|crying|desperate|scared|no hotel|"
                     r"with (?:a |my )?(?:baby|kids|toddler|infant)|wheelchair|funeral|sick|medical)\b"],
        "praise": [r"\b(?:thank(?:s| you)|thx|love|great|awesome|amazing|excellent|fantastic|best|kudos|"
                   r"appreciate|wonderful|impressed|shout ?out)\b"],
        "sarcasm": [r"\bthanks? (?:a lot |so much )?for nothing\b", r"\b(?:great|nice|awesome|good|fantastic) "
                    r"(?:job|work|going|customer service)\b.*(?:not|never|again|hours?|delay|cancel|lost)",
                    r"\b(?:love|loving) (?:how|that|when|the way) (?:you|your|i|my)\b", r"#not\b", r"\bthanks again\b",
                    r"\bway to go\b", r"\bso much for\b", r"\bbravo\b", r"\bwell done\b.*(?:delay|cancel|lost|hours)",
                    r"\b(?:yay|woohoo|hooray)\b.*(?:delay|cancel|lost|stuck|hours)"],
    },
    "nl": {"urgency": [r"\b(?:dringend|spoed|nu meteen|vanavond|zsm)\b"],
           "distress": [r"\b(?:gestrand|vast|wanhopig|baby|kinderen|rolstoel|begrafenis|ziek)\b"],
           "praise": [r"\b(?:bedankt|dank je|dankjewel|top|geweldig|super|fantastisch|compliment)\b"],
           "sarcasm": [r"\b(?:lekker bezig|goed bezig|bedankt voor niks|top service)\b"]},
    "fr": {"urgency": [r"\b(?:urgent|urgence|tout de suite|ce soir|immediatement)\b"],
           "distress": [r"\b(?:bloque|bloquee|coince|coincee|desespere|bebe|enfants|fauteuil|obseques|malade)\b"],
           "praise": [r"\b(?:merci|bravo|genial|super|excellent|top)\b"],
           "sarcasm": [r"\b(?:merci pour rien|bravo pour|quel service)\b"]},
    "de": {"urgency": [r"\b(?:dringend|sofort|eilig|heute abend|notfall)\b"],
           "distress": [r"\b(?:gestrandet|festsitzen|sitze fest|verzweifelt|baby|kinder|rollstuhl|beerdigung|krank)\b"],
           "praise": [r"\b(?:danke|vielen dank|super|toll|klasse|spitze|hervorragend)\b"],
           "sarcasm": [r"\b(?:danke fur nichts|vielen dank auch|toller service|na toll|ganz toll)\b"]},
    "es": {"urgency": [r"\b(?:urgente|ya mismo|de inmediato|esta noche|cuanto antes)\b"],
           "distress": [r"\b(?:varado|varada|atrapado|atrapada|desesperado|desesperada|bebe|ninos|silla de ruedas)\b"],
           "praise": [r"\b(?:gracias|genial|excelente|increible|fantastico)\b"],
           "sarcasm": [r"\b(?:gracias por nada|que gran servicio|bravo por)\b"]},
    "it": {"urgency": [r"\b(?:urgente|subito|stasera|immediatamente)\b"],
           "distress": [r"\b(?:bloccato|bloccata|bloccati|disperato|disperata|bambino|bambini|sedia a rotelle)\b"],
           "praise": [r"\b(?:grazie|ottimo|fantastico|bravissimi|perfetto)\b"],
           "sarcasm": [r"\b(?:grazie di niente|grazie per niente|complimenti davvero|bel servizio)\b"]},
    "pt": {"urgency": [r"\b(?:urgente|agora mesmo|imediatamente|hoje a noite)\b"],
           "distress": [r"\b(?:preso|presa|presos|desesperado|desesperada|bebe|criancas|cadeira de rodas)\b"],
           "praise": [r"\b(?:obrigad[oa]|otimo|excelente|fantastico|parabens)\b"],
           "sarcasm": [r"\b(?:obrigad[oa] por nada|parabens pelo servico|belo servico)\b"]},
    "pl": {"urgency": [r"\b(?:pilne|pilnie|natychmiast|dzis wieczorem)\b"],
           "distress": [r"\b(?:utknelam|utknalem|utknelismy|zdesperowan\w*|dziecko|dzieci|wozek)\b"],
           "praise": [r"\b(?:dziekuje|dzieki|super|swietnie|brawo)\b"],
           "sarcasm": [r"\b(?:dzieki za nic|brawo wy|super obsluga)\b"]},
    "sv": {"urgency": [r"\b(?:bradskande|akut|direkt|ikvall|snarast)\b"],
           "distress": [r"\b(?:strandsatt|fast|desperat|bebis|barn|rullstol)\b"],
           "praise": [r"\b(?:tack|toppen|grymt|fantastiskt|bra jobbat)\b"],
           "sarcasm": [r"\b(?:tack for ingenting|snyggt jobbat|bra jobbat verkligen)\b"]},
    "da": {"urgency": [r"\b(?:haster|akut|straks|i aften|hurtigst muligt)\b"],
           "distress": [r"\b(?:strandet|fast|desperat|baby|born|korestol)\b"],
           "praise": [r"\b(?:tak|super|fantastisk|godt gaet)\b"],
           "sarcasm": [r"\b(?:tak for ingenting|flot klaret|sikke en service)\b"]},
}
FEELING_CUES.update(_folded(_FEELING_CUES_UNFOLDED))


def _top_level_bar(pattern: str) -> bool:
    """Whether ``pattern`` is an alternation at its top level ("a|b", not "(?:a|b)c")."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
            if pattern[i + 1:i + 2] == "]":
                i += 1
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "|" and depth == 0:
            return True
        i += 1
    return False


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    """One regex for many patterns. Those that start with a word boundary share it, so that the engine tries them
    only where a word starts (the same matches, about three times faster than every pattern at every position)."""
    at_word = [p[2:] for p in patterns if p.startswith("\\b") and not _top_level_bar(p)]
    rest = [p for p in patterns if not (p.startswith("\\b") and not _top_level_bar(p))]
    parts = [f"(?:{p})" for p in rest]
    if at_word:
        parts.insert(0, "\\b(?:" + "|".join(f"(?:{p})" for p in at_word) + ")")
    return re.compile("|".join(parts))


_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_CJK_RE = re.compile(f"[{CJK_CLASS}]")


class CuePattern:
    """One cue lexicon as up to three alternations by script. A pattern written in Cyrillic or in CJK characters is
    only tried on a text that has such letters: most messages are in Latin script, and one big alternation would try
    every pattern of every script at every position (3.5 times slower with the ru/ja/zh cues)."""

    __slots__ = ("cjk", "cyrillic", "latin")

    def __init__(self, patterns: list[str]) -> None:
        groups: dict[str, list[str]] = {"latin": [], "cyrillic": [], "cjk": []}
        for p in patterns:
            script = "cjk" if _CJK_RE.search(p) else "cyrillic" if _CYRILLIC_RE.search(p) else "latin"
            groups[script].append(p)
        self.latin, self.cyrillic, self.cjk = (_alternation(ps) if ps else None for ps in groups.values())

    def search(self, text: str) -> re.Match[str] | None:
        if self.latin is not None and (m := self.latin.search(text)):
            return m
        if self.cyrillic is not None and _CYRILLIC_RE.search(text) and (m := self.cyrillic.search(text)):
            return m
        if self.cjk is not None and _CJK_RE.search(text):
            return self.cjk.search(text)
        return None


def compile_cues(tables: Iterable[dict[str, dict[str, list[str]]]], names: tuple[str, ...],
                 extra: Iterable[tuple[str, str]] = (), prefix: str = "") -> dict[str, CuePattern]:
    """One pattern per name over every language's patterns (and ``extra`` (name, pattern) pairs whose name is
    ``prefix + name``, e.g. "ask_rebook" items from intents/<lang>.yml)."""
    parts: dict[str, list[str]] = {n: [] for n in names}
    for table in tables:
        for cues in table.values():
            for name, patterns in cues.items():
                if name in parts:
                    parts[name].extend(patterns)
    for label, pattern in extra:
        if label.startswith(prefix) and label[len(prefix):] in parts:
            parts[label[len(prefix):]].append(pattern)
    return {n: CuePattern(ps) for n, ps in parts.items() if ps}
