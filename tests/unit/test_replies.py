"""Reply intents (§5, MSG-2, MSG-6): opt-out by any wording, cries for help first, doubt to a
person."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.domain.phone.replies import OPT_OUT_WORDS, classify_reply, normalize, voice_digits

INTENTS = {"opt_out", "opt_in", "help_keyword", "urgent", "doing_well", "unclassified"}


@pytest.mark.parametrize("text", [
    "STOP", "stop", "Stop.", "  STOP!! ", "STOPALL", "Unsubscribe", "END", "quit", "REVOKE",
    "optout", "opt-out", "Opt out", "CANCEL", "stop please", "STOP ALL", "quit texting me",
    "please stop texting me", "Don't text me anymore", "do not call me", "Unsubscribe me",
    "Remove me from this list", "leave me alone", "I do not want any more messages",
    "no more", "wrong number",
    # Spanish
    "ALTO", "parar", "Basta", "No más mensajes", "no me escriban", "dejen de llamarme",
    "dejen de escribir", "no quiero recibir mensajes", "número equivocado",
])
def test_revocation_by_any_reasonable_wording(text: str) -> None:
    """MSG-2: stop, quit, end, revoke, opt out, cancel, unsubscribe or plain words to that
    effect, in English and Spanish, revoke consent."""
    assert classify_reply(text).intent == "opt_out"


@pytest.mark.parametrize("text", [
    # the issue's own cases
    "Please stop. I am good.", "Stop. Who is this?", "I revoke my consent",
    "ok thanks but stop sending these", "Stop texting me please, I am fine",
    # FCC's words inside longer replies
    "I want to quit these", "please end this", "Cancel please", "cancel my subscription",
    "unsubscribe me from this list", "opt me out", "I'd like to opt out", "OPT-OUT",
    "stop it", "STOP!!! thank you", "ok stop", "Thanks, but please STOP", "no more please",
    "Enough.", "I don't want these texts", "I do not need any more reminders",
    "why don't you stop texting me", "my phone won't stop buzzing with your texts",
    "I already told you to stop", "Not interested", "I withdraw my consent",
    "I'm doing great, you can stop now", "stop bugging me", "Take me off your list",
    "Who is this? Wrong number", "2. also please stop",
    # Spanish
    "Ya basta, gracias", "quiero cancelar", "por favor dejen de escribirme",
    "No me interesa", "Ya no me manden mensajes", "quítenme de la lista", "darme de baja",
    "Estoy bien. Paren los mensajes", "ALTO por favor", "Dejen de mandarme mensajes",
    # plain words to that effect, and the usual typos
    "Please remove my number", "Stopp", "Enough already", "enough texts!", "Stop bothering me",
])
def test_a_revocation_word_inside_a_longer_reply_revokes(text: str) -> None:
    """MSG-2: a reply using stop, quit, end, revoke, opt out, cancel, unsubscribe (or plain
    words to that effect) revokes consent even among other words."""
    result = classify_reply(text)
    assert result.intent == "opt_out", result


@pytest.mark.parametrize("text, intent", [
    # negations: the patient wants the messages
    ("Don't stop, I like these", "unclassified"),
    ("please do not cancel the texts", "unclassified"),
    ("never stop checking on me", "unclassified"),
    # about something else
    ("I need to cancel my appointment", "unclassified"), ("I quit smoking!", "unclassified"),
    ("can I stop taking the water pill?", "unclassified"),
    ("I will stop by the clinic", "unclassified"),
    ("see you at the end of the week", "unclassified"), ("where is the bus stop", "unclassified"),
    ("para mi hija", "unclassified"), ("quiero cancelar mi cita", "unclassified"),
    ("Tengo la presion alta", "unclassified"),
    # something the patient cannot stop is urgent (§5), never an opt-out
    ("I can't stop coughing", "urgent"), ("the bleeding won't stop", "urgent"),
    ("my nose won't stop bleeding", "urgent"), ("stop the pain please", "urgent"),
    ("no puedo parar de toser", "urgent"), ("he can't stop shaking", "urgent"),
    ("When can I stop wearing the brace?", "unclassified"),
    ("I stopped taking my meds", "urgent"),  # not a revocation: a medicine stopped (a call today)
])
def test_a_revocation_word_about_something_else_does_not_revoke(text: str, intent: str) -> None:
    """MSG-2 / §5: a negated revocation ("don't stop") or one plainly about something else
    ("quit smoking", "cancel my appointment") keeps the patient on the program and goes to a
    person; "I can't stop coughing" is urgent first."""
    result = classify_reply(text)
    assert (result.intent, result.also_opt_out) == (intent, False), result


@pytest.mark.parametrize("text", [
    "stop texting me, my chest hurts", "STOP. I fell and my hip hurts", "Stop. Help me",
    "quit sending these, I can't breathe", "cancel, call me",
    "basta de mensajes, me duele el pecho", "Stop. Help", "HELP STOP",
])
def test_a_revocation_that_is_also_a_cry_for_help_does_both(text: str) -> None:
    """MSG-2 / §5: a reply that revokes and is urgent (or asks for help) escalates and opts
    out."""
    result = classify_reply(text)
    assert (result.intent, result.also_opt_out) == ("urgent", True), result


@pytest.mark.parametrize("text", [
    "1", "1.", "yes", "Yes!", "sí", "help me", "HELP ME PLEASE", "I fell in the bathroom",
    "no, I fell", "no I fell", "chest pain since last night", "can't breathe",
    "I'm short of breath", "bleeding from the incision", "feeling dizzy", "he seems confused",
    "emergency", "call me", "Please call me back", "I feel worse", "not good", "not doing well",
    "I am not feeling well", "fine yesterday. today pain in my leg", "I fell but I'm ok",
    # Spanish
    "tengo dolor", "me duele el pecho", "me siento mal", "no puedo respirar", "me caí",
    "estoy mareada", "tengo fiebre", "está sangrando", "ayuda", "ayúdenme", "no estoy bien",
    "llámenme por favor", "I'm back in the hospital", "I was readmitted",
    "My incision is red and oozing", "estoy internada",
])
def test_cries_for_help_are_urgent_even_among_other_words(text: str) -> None:
    """§5: 1, yes, help me, and words such as pain, breath, fall, bleeding -> urgent."""
    result = classify_reply(text)
    assert result.intent == "urgent", result


@pytest.mark.parametrize("text", [
    "I'm going to end it all", "I want to end my life", "Stop. I want to end it all",
    "I'm having suicidal thoughts", "I don't want to live anymore", "I'm ending my life",
    "I'm thinking about ending it", "I don't want to be here anymore", "Me quiero morir",
    "Quiero matarme", "ya no quiero vivir", "I keep thinking I'd be better off dead",
])
def test_words_of_self_harm_are_urgent_and_end_it_all_is_no_revocation(text: str) -> None:
    """§5: a person in danger reaches a person at once. "End" inside "end it all" / "end my
    life" is not a revocation (MSG-2): the patient is not taken off the program for it; a
    separate STOP still revokes."""
    result = classify_reply(text)
    assert result.intent == "urgent", result
    assert result.also_opt_out is text.startswith("Stop."), result


@pytest.mark.parametrize("text", [
    "He's not breathing", "she isn't responding", "my mom won't wake up", "I can't wake him up",
    "no responde", "mi papá no despierta", "he's slurring his words", "my dad is not making sense",
    "I can't feel my legs", "my lips are turning blue", "I feel like I'm going to pass out",
    "I took too many pills", "I overdosed", "I took double my dose by mistake",
    "throwing up all night", "I feel awful", "terrible", "really bad headache",
    "my sugar is 45", "blood sugar 420", "bp 190/110", "my blood pressure is 82/50",
    "I haven't peed in 2 days", "gained 5 pounds in 2 days", "feet are puffy",
    "the wound opened up", "please call", "I want to talk to a nurse",
])
def test_signs_a_nurse_must_hear_of_are_urgent(text: str) -> None:
    """§5: what stopping is the emergency ("not breathing", "won't wake up"), an overdose, a
    sugar or blood pressure out of range, heart-failure weight gain, a request for a call."""
    assert classify_reply(text).intent == "urgent", classify_reply(text)


@pytest.mark.parametrize("text", [
    "kms", "i took all my pills", "whats the point of living", "I feel hopeless",
    "i cant do this anymore", "no aguanto más", "her face is drooping on one side",
    "she hasn't woken up", "he won't drink anything", "She isn't eating", "cant brethe",
    "bleding alot", "my oxygen is 84", "O2 sat 86% on 2 liters", "temp is 101.5",
    "glucose reading HI on the meter", "suger 39", "I took my blood thinner twice by mistake",
    "ran out of my eliquis", "my throat feels tight after the new pill", "I blacked out",
    "my husband slipped in the shower and hit his head", "mi mamá se cayó",
    "she's shaking and wont respond", "he seems out of it and more sleepy than usual",
    "I don't feel right", "necesito una enfermera",
])
def test_paraphrases_typos_and_readings_of_distress_are_urgent(text: str) -> None:
    """§5, from a second probe of 476 invented replies: distress said without the listed
    words (self-harm paraphrased, what a person stopped doing, a reading, a medicine taken
    twice or run out, a typo of a long symptom word) is escalated, not left in the queue."""
    assert classify_reply(text).intent == "urgent", classify_reply(text)


# Replies written blind by helpers who had not read the word lists (nine probes of 221 to
# 601 replies) and the cases two reviews of the changes found: (text, intent, also opts out,
# the phone is opted out now). Every miss of the first seven is a row; of the last two, the
# kinds they found (what stays unclassified reaches a person's queue).
READ_AS_MEANT: list[tuple[str, str, bool, bool]] = [
    # third probe: caregivers, Spanish typed fast, a death reported by the family (§5, MSG-2)
    ("mejor me muero", "urgent", False, False),
    ("better off gone", "urgent", False, False),
    ("wanna die", "urgent", False, False),
    ("my son says he doesn't want to live anymore", "urgent", False, False),
    ("dad's lips look blue", "urgent", False, False),
    ("her sats are in the 80s", "urgent", False, False),
    ("grandpa is burning up", "urgent", False, False),
    ("se esta ahogando", "urgent", False, False),
    ("no para de sangrar", "urgent", False, False),
    ("tiene los labios morados", "urgent", False, False),
    ("no se puede levantar de la cama", "urgent", False, False),
    ("having chess pains since this morning", "urgent", False, False),
    ("im so dizzzy", "urgent", False, False),
    ("pls call asap", "urgent", False, False),
    ("one", "urgent", False, False),
    ("This is her son. She passed away. Stop.", "urgent", True, False),
    ("mi papa murio, ya no manden mensajes", "urgent", True, False),
    # fifth probe: each condition's red flags; a "fine" with a caveat (§5); a stop about a medicine
    # (MSG-2)
    ("everyone would be better off without me", "urgent", False, False),
    ("good except I'm peeing red", "urgent", False, False),
    ("all good, just seeing double", "urgent", False, False),
    ("fine, wheezy", "urgent", False, False),
    ("fine, legs are like tree trunks", "urgent", False, False),
    ("fine, just sad all the time", "urgent", False, False),
    ("Doing fine, walking more each day", "doing_well", False, False),
    ("I just want it all to stop", "urgent", True, False),
    ("tried to end it last night", "urgent", False, False),
    ("oxygen tank is empty", "urgent", False, False),
    ("mom went down in the kitchen", "urgent", False, False),
    ("up 4 lbs since yesterday", "urgent", False, False),
    ("cant lay flat", "urgent", False, False),
    ("missed dialysis today, no ride", "urgent", False, False),
    ("la fístula no vibra", "urgent", False, False),
    ("potassium was 6.8", "urgent", False, False),
    ("meter just says HI", "urgent", False, False),
    ("red streaks going up my arm", "urgent", False, False),
    ("no puedo dejar de vomitar", "urgent", False, False),
    ("cancel my thursday appointment please", "unclassified", False, False),
    ("take me off the lasix?", "unclassified", False, False),
    ("the headache quit", "unclassified", False, False),
    ("por favor no me vuelvan a escribir", "opt_out", False, False),
    ("steri strips falling off, is that ok?", "unclassified", False, False),
    # first review: a symptom after STOP revokes and escalates; readings only beside their number;
    # no ordinary word is a typo of an urgent one
    ("stop I fell", "urgent", True, False),
    ("Stop he died", "urgent", True, False),
    ("STOP I'm at work", "opt_out", False, False),
    ("STOP asap", "opt_out", False, False),
    ("STOP 🤮", "urgent", True, False),
    ("STOP 1", "urgent", True, False),
    ("ST‍OP", "opt_out", False, False),
    ("I said stop twice", "opt_out", False, False),
    ("Can you stop right now?", "opt_out", False, False),
    ("end it all", "urgent", False, False),
    ("option 1", "urgent", False, False),
    ("I pick 1", "urgent", False, False),
    ("1 hr 40 min ago", "unclassified", False, False),
    ("the rate is 150 dollars", "unclassified", False, False),
    ("sat there 75 minutes", "unclassified", False, False),
    ("el azucar lo mido", "unclassified", False, False),
    ("took a walk twice", "unclassified", False, False),
    ("did not recognize this number", "unclassified", False, False),
    ("respira bien", "unclassified", False, False),
    # sixth probe: revocations as a TCPA lawyer words them; long messages with one sign buried
    ("I've been better", "unclassified", False, False),
    ("had better days", "unclassified", False, False),
    ("End of the week works better for me", "unclassified", False, False),
    ("I want everything to end", "urgent", True, False),
    ("ready to quit life", "urgent", False, False),
    ("Stop. I'm done living like this", "urgent", True, False),
    ("I want the pain to stop", "urgent", False, False),
    ("there's yellowish stuff coming out of one end", "urgent", False, False),
    ("she hasn't made any urine today", "urgent", False, False),
    ("my vision went black in my right eye", "urgent", False, False),
    ("you do not have permission to text me", "opt_out", False, False),
    ("I never signed up for this", "opt_out", False, False),
    ("halt", "opt_out", False, False),
    ("remove", "opt_out", False, False),
    ("Don't ever text me again", "opt_out", False, False),
    ("eliminen mi número por favor", "opt_out", False, False),
    ("plz remove my # from ur list", "opt_out", False, False),
    # seventh probe: a "fine" without punctuation is read whole; asking the texts back reaches a
    # person (opted out: last field)
    ("2 he wont answer me", "urgent", False, False),
    ("ok im passing out", "urgent", False, False),
    ("ok my throat is closing", "urgent", False, False),
    ("fine pills gone took them all", "urgent", False, False),
    ("good no one would miss me", "urgent", False, False),
    ("fine coughing up pink stuff", "urgent", False, False),
    ("fine have to sleep sitting up", "urgent", False, False),
    ("ok i want to end things", "urgent", True, False),
    ("Hágame el favor de llamarme", "urgent", False, False),
    ("mi esposa esta bien pero tiene la boca chueca", "urgent", False, False),
    ("ok which pills do i stop", "unclassified", False, False),
    ("doing ok my aide quit", "unclassified", False, False),
    ("start again please", "unclassified", False, True),
    ("I want the texts back", "unclassified", False, True),
    ("quiero los mensajes otra vez", "unclassified", False, True),
    ("start again? no stop", "opt_out", False, True),
    ("START", "opt_in", False, True),
    ("start again please I fell", "urgent", False, True),
    # second review: a negation is plain only before what it negates; "go away" only whole; things
    # before or after a stop word
    ("mom is good, dad isnt", "unclassified", False, False),
    ("it isnt going well", "unclassified", False, False),
    ("ok is it normal", "unclassified", False, False),
    ("two problems", "unclassified", False, False),
    ("good no problems", "doing_well", False, False),
    ("two", "doing_well", False, False),
    ("the pain won't go away", "urgent", False, False),
    ("Im out of town until friday", "unclassified", False, False),
    ("withdraw money", "unclassified", False, False),
    ("please remove my iv", "unclassified", False, False),
    ("my insurance will terminate friday", "unclassified", False, False),
    ("i want to terminate my life", "urgent", False, False),
    ("no para ya de sangrar", "urgent", False, False),
    ("which means stop", "opt_out", False, False),
    ("make it stop sending me texts", "urgent", True, False),
    ("the bill shocked me", "unclassified", False, False),
    ("go away", "opt_out", False, False),
    # eighth and ninth probes: a death told by the family is urgent; with a stop, both
    ("STOP TEXTING MY MOTHER SHE IS DEAD", "urgent", True, False),
    ("She is no longer with us. Please stop the messages", "urgent", True, False),
    ("RIP dad. please remove this number", "urgent", True, False),
    ("My husband passed away Saturday morning. Please remove him from your list.",
     "urgent", True, False),
    ("Mi esposo murió. Por favor ya no le escriban", "urgent", True, False),
    ("Grandma went to be with the Lord on Tuesday", "urgent", False, False),
    ("Se nos fue mi abuelita anoche", "urgent", False, False),
    # a family member stops the texts for the patient, in English or Spanish
    ("take my mom off this list please", "opt_out", False, False),
    ("she doesnt want to be contacted", "opt_out", False, False),
    ("my dad doesnt need these anymore, he has his own nurses", "opt_out", False, False),
    ("ya no le manden mensajes a mi papá por favor", "opt_out", False, False),
    ("ya no quiero que me escriban", "opt_out", False, False),
    ("se equivocaron de número, no conozco a esa persona", "opt_out", False, False),
    ("no molesten mas", "opt_out", False, False),
    ("Enough already! Leave me be", "opt_out", False, False),
    ("i want off this text thing", "opt_out", False, False),
    # back in hospital, medicines, devices, mood: a call today
    ("pops is in the ICU", "urgent", False, False),
    ("lo internaron otra vez", "urgent", False, False),
    ("im all out of the fluid pill since sunday", "urgent", False, False),
    ("pharmacy says insurance wont cover the blood thinner so I dont have it",
     "urgent", False, False),
    ("think I took my morning pills 2 times today", "urgent", False, False),
    ("se me acabó la insulina", "urgent", False, False),
    ("the oxygen machine stopped working", "urgent", False, False),
    ("my picc line is pulled halfway out", "urgent", False, False),
    ("ankles puffed up like balloons", "urgent", False, False),
    ("my legs gave out and I went down in the kitchen", "urgent", False, False),
    ("so lonely since I came home nobody visits", "urgent", False, False),
    ("stop texting me, theres no point to anything anymore", "urgent", True, False),
    ("quit texting, the pharmacy wont fill my insulin", "urgent", True, False),
    # ... and what is not
    ("no pain feeling good", "doing_well", False, False),
    ("no shortness of breath no swelling feeling good", "doing_well", False, False),
    ("gracias por la ayuda", "unclassified", False, False),
    ("mi hija me ayuda con todo, estoy bien", "unclassified", False, False),
    ("Cancel the nurse call, I'm ok now", 'unclassified', False, False),
    ("sorry my phone was dead", "unclassified", False, False),
    # two weights in one reply, 3 lb or more apart (heart failure's sign), across clauses
    ("weighed 182 this morning, was 176 on sunday", "urgent", False, False),
    ("my weight was 176 friday and 179 today", "urgent", False, False),
    ("pese 80 kilos ayer y hoy 84", "urgent", False, False),
    ("weighed 182, same as yesterday 182", "unclassified", False, False),
    ("I weigh 150 and take 2 pills", "unclassified", False, False),
    # the whole reply says the texts are unwanted, or that someone else signed the patient up
    ("I don't want this!", "opt_out", False, False),
    ("I didn't ask for this.", "opt_out", False, False),
    ("i dont want this anymore", "opt_out", False, False),
    ("I didnt sign up for this", "opt_out", False, False),
    ("my daughter signed me up without asking", "opt_out", False, False),
    ("they gave me a walker, I dont want it", "unclassified", False, False),
    ("I didnt sign up for the visit yet, can you help", "unclassified", False, False),
    ("I didn't ask for this appointment, who made it?", "unclassified", False, False),
    ("dont want this to happen again", "unclassified", False, False),
    # tenth probe: stops said around the point; care that did not come, medicines out of reach,
    # a patient alone or lost at home; "ni" negates as "no" does
    ("i opted out twice already why am i still getting these", "opt_out", False, False),
    ("I have my own doctor, no need for this", "opt_out", False, False),
    ("Este número no es de la paciente, no escriban más", "opt_out", False, False),
    ("sáquenme de la lista", "opt_out", False, False),
    ("ya tengo mi propio doctor no necesito esto", "opt_out", False, False),
    ("I opted out by mistake, can you start again", "unclassified", False, True),
    ("okay nurse never came", "urgent", False, False),
    ("the home health nurse never came and his dressing hasnt been changed in 5 days",
     "urgent", False, False),
    ("CVS says my insurance needs a prior authorization so they wont give me the insulin",
     "urgent", False, False),
    ("the eliquis is $587 at the pharmacy and I cant pay that", "urgent", False, False),
    ("we're down to the last oxygen tank and the company wont answer", "urgent", False, False),
    ("nobody brought groceries, theres no food in the house and I cant drive yet", "urgent",
     False, False),
    ("I cant get to the bathroom by myself and Im alone all day", "urgent", False, False),
    ("dad doesnt know where he is and keeps calling me by my moms name", "urgent", False, False),
    ("the list they gave me doesnt match the bottles", "urgent", False, False),
    ("vomita todo lo que come y no puede tomar sus pastillas", "urgent", False, False),
    ("no tengo fiebre ni dolor, pero cuándo es mi cita?", "unclassified", False, False),
    ("no food allergies", "unclassified", False, False),
    ("cant pay for parking at the clinic?", "unclassified", False, False),
    # eleventh probe: a sign buried in good news, said by dictation or with sarcasm; a stroke,
    # delirium, retention, an overdose feared, in everyday words; hopelessness said quietly
    ("Mi cipote me ayuda a escribir: mi mamá amaneció con la cara de lado y no habla bien",
     "urgent", False, False),
    ("yeah totally fine, who needs to pee anyway. haven't gone since yesterday morning",
     "urgent", False, False),
    ("he keeps pulling at his catheter and says there are bugs on the wall, this is new",
     "urgent", False, False),
    ("I've been saving up my pain pills in a jar just in case I need them all at once",
     "urgent", False, False),
    ("A veces pienso que sería mejor no despertar", "urgent", False, False),
    ("Honestly don't see the point of all these pills anymore", "urgent", False, False),
    ("Everyone would be better off not fussing over me", "urgent", False, False),
    ("Pharmacy said my blood thinner and the new antibiotic shouldn't be taken together so I'm "
     "not taking either until someone tells me", "urgent", False, False),
    ("The insulin pen needles they gave me don't fit the pen", "urgent", False, False),
    ("Esa vaina del oxígeno no prende desde anoche", "urgent", False, False),
    ("El glucómetro marca HI todo el día", "urgent", False, False),
    ("My walker's wheel snapped off and I almost went down twice today", "urgent", False, False),
    ("Please stop the automated messages. I'm his wife and I can't handle him at home anymore, "
     "he's getting aggressive", "urgent", True, False),
    ("STOP. also the pills you gave me make my throat swell up", "urgent", True, False),
    ("Truly the highlight of my day. Please make it stop", "urgent", False, False),
    ("This cough is keeping me up all night, what can I take to make it stop", "urgent", False,
     False),
    ("Mi apá ya no quiere que le manden mensajes ni que le llamen", "opt_out", False, False),
    ("Este es el número de Lupe. Por favor bórrenlo de su lista.", "opt_out", False, False),
    # ... and what is not
    ("My phone died over the weekend so I missed your call, what did you need?",
     "unclassified", False, False),
    ("I went to a fall prevention class at the senior center", "unclassified", False, False),
    ("Emergency brake on my car is busted so I'll be taking the bus", "unclassified", False,
     False),
    ("I'm in the emergency room", "urgent", False, False),
    ("finally got out of the house today, feeling good", "unclassified", False, False),
    ("feeling better, off to the store, not much else", "unclassified", False, False),
    ("havent had my follow up yet, when is it?", "unclassified", False, False),
    # twelfth probe: after childbirth, in recovery, unsafe at home, a nurse asked for today; a
    # few words of Portuguese, Haitian Creole and Vietnamese (a person reads the rest)
    ("Headache that won't go away and I'm seeing spots. Baby is 6 days old", "urgent", False,
     False),
    ("soaking a pad every hour since this morning", "urgent", False, False),
    ("Hearing voices again since I stopped the meds", "urgent", False, False),
    ("I used again last night. I'm scared", "urgent", False, False),
    ("cravings are really bad today, thinking about calling my old dealer", "urgent", False,
     False),
    ("shaking, sweating, can't sleep, quit drinking 2 days ago", "urgent", False, False),
    ("my boyfriend got violent again last night, I don't feel safe here", "urgent", False,
     False),
    ("Mi pareja me pega y no me siento segura en la casa", "urgent", False, False),
    ("Need to speak with someone today", "urgent", False, False),
    ("Quiero hablar con una enfermera hoy", "urgent", False, False),
    ("fistula isn't buzzing anymore", "urgent", False, False),
    ("my chess hurtz wen i breth in", "urgent", False, False),
    ("cant brith good at nite got to sleep in my chare", "urgent", False, False),
    ("STOP. nothing matters anymore", "urgent", True, False),
    ("Quit texting me, I relapsed and I don't care", "urgent", True, False),
    ("Minha mãe está com falta de ar", "urgent", False, False),
    ("Parem de mandar mensagem, meu pai faleceu", "urgent", True, False),
    ("Mwen pa vle mesaj ankò, manman m mouri", "urgent", True, False),
    ("Bájenme de la lista", "opt_out", False, False),
    ("Sispann voye mesaj ban mwen", "opt_out", False, False),
    # thirteenth probe: what people notice, in their words
    ("No he podido orinar desde ayer", "urgent", False, False),
    ("No tenemos comida en la casa y mi mamá es diabética", "urgent", False, False),
    ("She's sleeping all the time, I can barely get her up to eat", "urgent", False, False),
    ("Ya no puedo más con mi esposo, no duermo, estoy agotado", "urgent", False, False),
    ("she can't find the bathroom in her own house since she got back", "urgent", False, False),
    ("she keeps picking at the air and talking to people who aren't there", "urgent", False,
     False),
    ("I throw up every time I take the new pill, haven't kept it down in 2 days", "urgent",
     False, False),
    ("BAJA. Me falta el aire y tengo los pies muy hinchados", "urgent", True, False),
    ("No autorizo que me contacten a este número", "opt_out", False, False),
    ("Soy la hija, mi papá no quiere recibir estos mensajes. Favor de quitar el número",
     "opt_out", False, False),
    ("This number belongs to a business. Remove it from your list", "opt_out", False, False),
    ("Por favor no me llamen ni me escriban más", "opt_out", False, False),
    # a revocation phrase with an object that is not the messages is about that object (a
    # person reads it; the texts go on)
    ("Is it ok to remove my compression stockings at night?", "unclassified", False, False),
    ("still getting these headaches every afternoon since I got home, is that normal",
     "unclassified", False, False),
    ("please take me off the waiting list for the sleep study", "unclassified", False, False),
    ("I no longer need the 2pm ride on Monday, my son will drive me", "unclassified", False,
     False),
    ("I dont need these crutches anymore, can I drop them off?", "unclassified", False, False),
    ("Please remove my old address from the chart", "unclassified", False, False),
    ("Saquenme los puntos el lunes porfa", "unclassified", False, False),
    ("Basta con una pastilla o tomo dos?", "unclassified", False, False),
    ("I tried to unsubscribe from the hospital newsletter emails", "unclassified", False,
     False),
    ("please take me off your list, I never signed up", "opt_out", False, False),
    ("remove my wife's number from this", "opt_out", False, False),
    # ... and an angry stop is still a stop: an insult or an unknown word after the phrase is
    # no object
    ("leave me alone you idiots", "opt_out", False, False),
    ("take me off this damn list", "opt_out", False, False),
    ("remove me asap bro", "opt_out", False, False),
    ("wrong number buddy", "opt_out", False, False),
    ("no need for this crap", "opt_out", False, False),
    ("dejenme en paz carajo", "opt_out", False, False),
    ("take me off your texting list", "opt_out", False, False),
    ("why wont you leave me alone", "opt_out", False, False),
    ("The pain wont leave me alone at night", "urgent", False, False),
    ("Por favor bajenme la insulina, me dio el azúcar baja dos veces", "unclassified", False,
     False),
    # fourteenth probe, stops only: legal, formal, elderly, a family writing for the patient
    ("Any further messages after this will be a violation of the TCPA and I will be contacting "
     "my attorney.", "opt_out", False, False),
    ("Dear Sir or Madam, I would kindly ask that you no longer send messages to this telephone.",
     "opt_out", False, False),
    ("I'll be reporting this number as spam if it doesn't stop", "opt_out", False, False),
    ("Les pido de la manera más atenta que cesen toda comunicación a este número.", "opt_out",
     False, False),
    ("Mi mamá se mudó a México y tiene otro doctor. Favor de borrar este número.", "opt_out",
     False, False),
    ("Mi papá está en hospicio, ya no necesitamos estos mensajes", "opt_out", False, False),
    ("Muy amable pero ya no deseo recibir mensajes. Gracias.", "opt_out", False, False),
    ("New phone number, not the person you're looking for. Please remove.", "opt_out", False,
     False),
    ("No more robocalls please", "opt_out", False, False),
    ("Señorita, le ruego que ya no me envíe mensajes. Soy una persona mayor.", "opt_out", False,
     False),
    ("Soy el hijo del paciente. Mi papá no sabe leer mensajes, por favor ya no le escriban aquí.",
     "opt_out", False, False),
    ("no kiero mas mensajes", "opt_out", False, False),
    ("STOP. I'm the neighbor, this is my landline. But Mr. Jones hasn't answered his door in 2 "
     "days", "urgent", True, False),
    ("Please remove the stitches on Monday?", "unclassified", False, False),
    # fifteenth probe: care made impossible by no ride, no power, no home, no money
    ("Been having diarrhea 8-10 times a day since starting the antibiotics", "urgent", False,
     False),
    ("I have no ride to the follow up, my car got repossessed. So I guess I'm not coming",
     "urgent", False, False),
    ("I'm living in my car since discharge. Can't keep the insulin cold", "urgent", False,
     False),
    ("Lost my job, can't pay for the meds or the copay. what do i do", "urgent", False, False),
    ("My power got shut off and Dad's oxygen runs on electricity", "urgent", False, False),
    ("No tengo carro ni quien me lleve a la cita, no voy a poder ir", "urgent", False, False),
    ("se me abrieron los puntos", "urgent", False, False),
    ("Me muero de ganas de comer tacos jaja ya estoy bien", "unclassified", False, False),
    # sixteenth probe, by the reason for the stay; a reading keeps its decimals (it was cut at
    # the point: 100.6 read as 100, and 99.1 left a lone "1", the menu's "talk to a nurse")
    ("Temp 100.6 and I had chemo 8 days ago", "urgent", False, False),
    ("temp 100.3", "unclassified", False, False),
    ("my temp was 99.1", "unclassified", False, False),
    ("fiebre de 38,2", "urgent", False, False),
    ("no está respirando", "urgent", False, False),
    ("La pierna ya no está hinchada, me siento bien", "unclassified", False, False),
    ("No ha tenido más convulsiones", "unclassified", False, False),
    ("He's comfortable and pain free, family is with him", "unclassified", False, False),
    ("Hip popped and now my leg looks shorter and turned out", "urgent", False, False),
    ("Incision split open and I can see something pink underneath", "urgent", False, False),
    ("No puede tragar sus pastillas y está muy agitado", "urgent", False, False),
    ("Peak flow is 40% of my best, albuterol didn't help", "urgent", False, False),
    ("Se le torció la boca a mi esposo y no puede levantar el brazo", "urgent", False, False),
    ("She's talking nonsense and can't find her words, started an hour ago", "urgent", False,
     False),
    ("Tiene temblores y ve cosas que no están, dejó de tomar hace 3 días", "urgent", False,
     False),
    ("Cancelen estos mensajes. Tengo la pierna muy hinchada y morada", "urgent", True, False),
    ("Quiten mi número de la lista", "opt_out", False, False),
    ("Tired after chemo but eating ok and no fever", "unclassified", False, False),
    # seventeenth probe: Caribbean and Central American Spanish, phonetic spelling
    ("klk, mi pai ta respirando mu rapido y tiene los labio morao", "urgent", False, False),
    ("tengo las eses negras como carbon desde ayer", "urgent", False, False),
    ("tiene kalentura de 103 y tiembla mucho", "urgent", False, False),
    ("no quiero mas textos, pero mi papa tiene la cara torcida desde hace una hora", "urgent",
     True, False),
    # a stop word whose object is a test, a drug, a time or a leave (a second look-alike set)
    ("The cardiologist wanted to halt the diuretic for a few days", "unclassified", False,
     False),
    ("Please tell Dr. Patel I had to cancel the MRI, I'm claustrophobic", "unclassified", False,
     False),
    ("I need a note for work saying when I can end my medical leave", "unclassified", False,
     False),
    ("They said the study would terminate early", "unclassified", False, False),
    ("I'd like to cancel the 9am and take the 2pm if that's still open", "unclassified", False,
     False),
    ("Dad wants to opt out of the flu shot this year, is that ok after his pneumonia?",
     "unclassified", False, False),
    ("¿Con media pastilla basta o tengo que tomar la entera?", "unclassified", False, False),
    ("dice que con los parches le basta", "unclassified", False, False),
    ("¿Hay que detener el potasio si salió alto en los análisis?", "unclassified", False, False),
    ("Mi hermano pregunta por qué el oncólogo pidió que paren la quimio por dos semanas",
     "unclassified", False, False),
    # eighteenth and nineteenth probes: replies to the visit reminder; long letters with one
    # thing inside
    ("Cancel the Thursday one and put me on a Monday slot if there is one", "unclassified",
     False, False),
    ("No dejen de mandarme recordatorios, se me olvida todo.", "unclassified", False, False),
    ("I've had a fever of 101 tonight and chills, they told me something about calling with a "
     "fever but I don't want to be dramatic", "urgent", False, False),
    ("Hoy tengo los labios morados y me cuesta mucho respirar, no puedo terminar una frase sin "
     "parar. No quiero regresar al hospital", "urgent", False, False),
    ("hoy volvió a vomitar todo, no ha hecho pipí desde la mañana, tiene la boquita seca, llora "
     "sin lágrimas y está muy decaído", "urgent", False, False),
    ("I don't want to get any more of these messages from Riverside.", "opt_out", False, False),
    # twentieth probe: folk words and comparisons
    ("can't catch my wind walking to the bathroom, have to sit on the toilet lid and pant",
     "urgent", False, False),
    ("dad keeps falling asleep with his face in his plate and his sugar reading says LO",
     "urgent", False, False),
    ("feeling like a truck is parked on me and I'm sweating buckets", "urgent", False, False),
    ("la orina me sale como Coca-Cola y muy poquita", "urgent", False, False),
    ("took my friend's Xanax with my oxy to sleep and now I feel super weird and slow", "urgent",
     False, False),
    ("I want out of these reminders", "opt_out", False, False),
    ("I'm going to block this number if you don't stop sending these", "opt_out", False, False),
    ("cut it out with the texts", "opt_out", False, False),
    ("ya no quiero participar en esto", "opt_out", False, False),
    ("doing good, I'm not short of breath anymore", "unclassified", False, False),
    ("he stopped breathing", "urgent", False, False),
    # twenty-first probe, readings in every format: run into their word, with units, the top or
    # bottom number alone, misspelt, kilos, a stated gain judged by its number
    ("SYS 181 DIA 92 PUL 77", "urgent", False, False),
    ("bp183/97", "urgent", False, False),
    ("bg 320mg/dl", "urgent", False, False),
    ("bottom number 124", "urgent", False, False),
    ("la de abajo 125", "urgent", False, False),
    ("la de arriba 85", "urgent", False, False),
    ("top number 85", "urgent", False, False),
    ("sys 130 dia 122", "urgent", False, False),
    ("alto 182 bajo 95", "urgent", False, False),
    ("asucar 325", "urgent", False, False),
    ("sugr 55", "urgent", False, False),
    ("gluc 58 luego 120 con jugo", "urgent", False, False),
    ("oxijeno 86", "urgent", False, False),
    ("tmep 100.6", "urgent", False, False),
    ("presure 184/100", "urgent", False, False),
    ("el aparato dice LO", "urgent", False, False),
    ("glucometer reads HI again, second time today", "urgent", False, False),
    ("pesé 80 kilos hoy y 78 el sábado", "urgent", False, False),
    ("up 4 lbs since Monday", "urgent", False, False),
    ("subí 2 kilos en dos días", "urgent", False, False),
    ("up 2 lbs this week", "unclassified", False, False),
    ("weight up 1.5 lbs", "unclassified", False, False),
    ("STOP azúcar 40", "urgent", True, False),
    ("dia 80", "unclassified", False, False),
    ("PUL 130 at rest", "urgent", False, False),
    # twenty-second probe: equipment and home care
    ("Aide didn't come this morning, my mother is still in bed and needs to be changed",
     "urgent", False, False),
    ("Bag keeps popping off the ostomy at night and now we're out of wafers", "urgent", False,
     False),
    ("El desfibrilador me dio una descarga hace rato, me asusté mucho", "urgent", False, False),
    ("The IV antibiotic for her PICC hasn't been delivered, she missed tonight's dose", "urgent",
     False, False),
    ("Her heel is black now where it rests on the bed", "urgent", False, False),
    ("I flushed the feeding tube and it won't go through", "urgent", False, False),
    ("La alarma del LVAD está sonando y no sabemos qué significa", "urgent", False, False),
    ("Se le salió la sonda de la panza a mi papá, qué hago", "urgent", False, False),
    ("No pee in the catheter bag since this morning and his belly feels hard", "urgent", False,
     False),
    ("Trach is plugged with thick mucus and the suction machine isn't working", "urgent", False,
     False),
    ("Wound vac supplies never arrived and the canister is full", "urgent", False, False),
    ("Nobody brought the dialysis supplies, we have one bag left for tonight", "urgent", False,
     False),
    ("Stop texting. The oxygen supplier never delivered and he's almost out", "urgent", True,
     False),
    ("Take me off this list. Catheter hasn't drained since noon", "urgent", True, False),
    ("the bill shocked me", "unclassified", False, False),
    # twenty-third probe: Mexican, Caribbean and Central American Spanish
    ("ando con chorrillo y ya no retengo ni el agua", "urgent", False, False),
    ("mi esposo tiene la cara toda chueca y no mueve el brazo", "urgent", False, False),
    ("tengo la lengua trabada y se me cae la taza de la mano", "urgent", False, False),
    ("tengo el azucar bajita, 45, estoy temblando y sudando", "urgent", False, False),
    ("tengo la panza bien inflamada y dura y no paso gases", "urgent", False, False),
    ("dejen de fregar", "opt_out", False, False),
    ("dejen de joder con los mensajitos", "opt_out", False, False),
    ("no me molesten mas con eso", "opt_out", False, False),
    ("parenle ya con los mensajes", "opt_out", False, False),
    ("remuevan mi numero porfa", "opt_out", False, False),
    ("ya no me texteen", "opt_out", False, False),
    ("ya no sigan escribiendo a mi abuelo, el ya no vive aqui", "opt_out", False, False),
    # twenty-fourth probe: signs and stops said without the obvious words
    ("Can't get enough air walking to the mailbox", "urgent", False, False),
    ("Dad slept all day and now we can barely rouse him", "urgent", False, False),
    ("Her lips and fingertips are turning a grayish color", "urgent", False, False),
    ("I can't finish a sentence without gasping", "urgent", False, False),
    ("hit the floor in the bathroom last night and I can barely get up", "urgent", False, False),
    ("la cabeza me va a explotar, nunca había sentido algo así", "urgent", False, False),
    ("me fui al piso en el baño y me pegué en la cabeza", "urgent", False, False),
    ("my nose has been gushing red for an hour and won't let up", "urgent", False, False),
    ("my ticker's doing a drum solo and won't settle down", "urgent", False, False),
    ("se me durmió el brazo izquierdo y ya no lo siento", "urgent", False, False),
    ("se me va el mundo cada vez que me levanto", "urgent", False, False),
    ("siento el corazón a mil y no se calma", "urgent", False, False),
    ("toso una espuma rosada", "urgent", False, False),
    ("veo doble desde anoche", "urgent", False, False),
    ("where they put the cath in my groin there's a lump the size of an egg", "urgent", False,
     False),
    ("Delete this number from your system", "opt_out", False, False),
    ("I'd prefer you not contact this number", "opt_out", False, False),
    ("favor de no contactar este número", "opt_out", False, False),
    ("no gracias, ya no", "opt_out", False, False),
    ("Can barely get enough air to talk, and I want no more of these automated messages",
     "urgent", True, False),
    ("All good on this end, thanks for checking", "unclassified", False, False),
    ("basta con los mensajes", "opt_out", False, False),
    # twenty-fifth to twenty-seventh probes: medicines and surgery, life at home and formal
    # revocations, how people type (emoji, dictation, other scripts)
    ("Pharmacy was closed when I got there and I missed my insulin last night",
     "urgent", False, False),
    ("accidentally took my metoprolol twice this morning", "urgent", False, False),
    ("my dad took his warfarin twice today, forgot he already took it", "urgent", False, False),
    ("no puedo pagar la insulina, cuesta mucho y ya no me queda", "urgent", False, False),
    ("1 por favor llamen", "urgent", False, False),
    ("insulin pen broke and pharmacy cant get me a new one till monday", "urgent", False, False),
    ("foot below my new knee turned cold and pale", "urgent", False, False),
    ("blood sugar keeps dropping at night, woke up drenched in sweat 3 times this week",
     "urgent", False, False),
    ("pharmacy gave me a different looking pill than before and i already took it, now i "
     "feel weird",
     "urgent", False, False),
    ("pls call, lost my pill bottles and dont know what im supposed to take",
     "urgent", False, False),
    ("bruises showing up everywhere and i didnt bump into anything. on blood thinner",
     "urgent", False, False),
    ("my leg where they took the vein for the bypass is red hot and streaky up to the knee",
     "urgent", False, False),
    ("I'd prefer not to get these messages anymore, thank you", "opt_out", False, False),
    ("Para de mandarme mensajes sobre mis medicinas", "opt_out", False, False),
    ("No quiero más mensajes pero necesito que alguien me llame por mi insulina",
     "urgent", True, False),
    ("My ride fell through for thursday's appointment, not sure how I'm getting there",
     "unclassified", False, False),
    ("lights out on our whole street, my cpap wont run tonight, what do i do",
     "urgent", False, False),
    ("Storm knocked the power out since yesterday, my insulin has been in a warm fridge all night",
     "urgent", False, False),
    ("sleeping in my car now, they threw my stuff out, my pills were in the apartment",
     "urgent", False, False),
    ("The home health aide quit yesterday and nobody has come to change my dressing",
     "urgent", False, False),
    ("I can't make it up the stairs to my apartment, been sitting in the lobby for 2 hours",
     "urgent", False, False),
    ("My dog knocked me over when I got home but I didn't hit anything, I'm ok",
     "urgent", False, False),
    ("feeling really overwhelmed with all these new pills, I dont know which ones to take "
     "when and I think I doubled one this morning",
     "urgent", False, False),
    ("the heat is off because I couldn't pay the gas bill, I have my grandkids here too and "
     "its freezing",
     "urgent", False, False),
    ("water got shut off, can't flush or wash my incision", "urgent", False, False),
    ("money is tight so I've been cutting my pills in half to make them last",
     "urgent", False, False),
    ("my husband has dementia and I'm his only caregiver, now I'm the one who had surgery "
     "and he keeps wandering out at night",
     "urgent", False, False),
    ("the shelter makes us leave at 7am and i have nowhere to keep my leg wound clean all day",
     "urgent", False, False),
    ("my hubby drinks every night and yells, I locked myself in the bedroom",
     "urgent", False, False),
    ("everything is so hard right now, I cry every night, can someone talk to me",
     "urgent", False, False),
    ("the visiting nurse hasnt come in 3 days and my drain is full", "urgent", False, False),
    ("Is there a social worker I can talk to about rent help", "urgent", False, False),
    ("alguien me puede llamar? no entiendo las instrucciones de las pastillas",
     "urgent", False, False),
    ("This number is no longer in service for you. Remove it.", "opt_out", False, False),
    ("leave me the hell alone with these messages", "opt_out", False, False),
    ("don't stop calling me, I need the help", "urgent", False, False),
    ("Remove from list", "opt_out", False, False),
    ("Im doing great, you can stop checking on me now", "opt_out", False, False),
    ("ya no quiero que me llamen ni me escriban, gracias", "opt_out", False, False),
    ("This is her daughter, she's been readmitted, please hold all the reminders, we don't "
     "want them",
     "urgent", True, False),
    ("opt out of the survey but I still want the nurse to call", "urgent", False, False),
    ("I did not authorize you to text me, delete my info", "opt_out", False, False),
    ("wrong # this is a business line", "opt_out", False, False),
    ("F*** off with these texts", "opt_out", False, False),
    ("dont ever contact me again", "opt_out", False, False),
    ("¿Cómo me quito de esta lista? me caí ayer y no me puedo mover bien", "urgent", True, False),
    ("1 but also stop texting after this", "urgent", True, False),
    ("Ya no me escriban. Me siento sin ganas de vivir.", "urgent", True, False),
    ("talk sooner", "urgent", False, False),
    ("Hello sweetheart its Grandma, my left hand wont work right and my words come out "
     "funny. Love Grandma",
     "urgent", False, False),
    ("idk ngl my stitches look kinda green and smell weird lmk", "urgent", False, False),
    ("I can't breed good when I lay down", "urgent", False, False),
    ("my mother is very confuse today she don't know me", "urgent", False, False),
    ("我爸爸胸口很痛\uff0c请打电话给我", "urgent", False, False),
    ("Mwen gen doulè nan pwatrin mwen, rele m souple", "urgent", False, False),
    ("Je saigne encore beaucoup, pouvez-vous m'appeler?", "urgent", False, False),
    ("THIS IS MARGARET JONES. MY FEET ARE BLUE AND COLD. PLEASE ADVISE.", "urgent", False, False),
    ("my wife says I'm talking funny and I keep forgetting stuff since I got home",
     "urgent", False, False),
    ("this is his wife he is gray color and sweating a lot, what we do", "urgent", False, False),
    ("Sim, por favor liguem para mim", "urgent", False, False),
    ("Oui appelez-moi svp", "urgent", False, False),
    ("我想跟护士说话", "urgent", False, False),
    ("Tôi muốn nói chuyện với y tá", "urgent", False, False),
    ("Manman m tonbe, li pa ka leve", "urgent", False, False),
    ("i can feel my heart skipping and my arm is numb idk if thats normal",
     "urgent", False, False),
    ("OK THANK YOU I WILL WAIT FOR CALL.MY ANKLES ARE LIKE BALLOONS NOW", "urgent", False, False),
    ("Ok.Got message.Also my vision went blurry on one side this morning for a bit then "
     "came back.",
     "urgent", False, False),
    ("\U0001F6D1", "opt_out", False, False),
    ("how do I make these messages stop coming on my phone. Love, Grandma",
     "opt_out", False, False),
    ("Por favor, não quero mais receber mensagens", "opt_out", False, False),
    ("Arrêtez de m'envoyer des messages s'il vous plaît", "opt_out", False, False),
    ("Đừng nhắn tin cho tôi nữa", "opt_out", False, False),
    ("请不要再发短信给我", "opt_out", False, False),
    ("退订", "opt_out", False, False),
    ("no more text please, I am not understand, thank you", "opt_out", False, False),
    ("Please not send me messages more. Thank you. Galina", "opt_out", False, False),
    ("Brother please no more message, my son handle everything", "opt_out", False, False),
    ("N'envoyez plus de SMS à ce numéro", "opt_out", False, False),
    ("Parem de me mandar mensagem pfv", "opt_out", False, False),
    ("Arrêtez les textos. Mon père est tombé hier soir et il a mal à la tête.",
     "urgent", True, False),
    ("别再发了\uff0c我妈妈发烧39度\uff0c要找护士", "urgent", True, False),
    ("no quiero que me llamen", "opt_out", False, False),
    ("quiero que me llamen", "urgent", False, False),
    # twenty-eighth and twenty-ninth probes: regional and cultural English, replies to the
    # visit reminder and the check-in
    ("been swimmy-headed since I got home and cant hardly stand up", "urgent", False, False),
    ("feels like im smothering when I lay down at night", "urgent", False, False),
    ("my sugar's high, meter says 412 and I'm thirsty as all get out", "urgent", False, False),
    ("My nerves are bad and I been thinking it'd be easier if I wasn't here no more",
     "urgent", False, False),
    ("ain't got none of my water pills left and the pharmacy said they need a new script",
     "urgent", False, False),
    ("Mama's talking out of her head today, don't know where she's at", "urgent", False, False),
    ("Di pressure high and mi head a lick mi from mawnin", "urgent", False, False),
    ("mi feel fi dead, mi nuh waan live no more", "urgent", False, False),
    ("Please I have finished my drugs and the pharmacy said I cannot get refill till Monday",
     "urgent", False, False),
    ("Knackered and my ankles have blown up like balloons", "urgent", False, False),
    ("He keep saying he seeing people in the room that ain't there", "urgent", False, False),
    ("Nanay ko nahihilo at nagsusuka, what should we do po", "urgent", False, False),
    ("Hey it's Keisha, my grandma ain't been making sense since this morning and she keep "
     "trying to take her oxygen off",
     "urgent", False, False),
    ("Wag nyo na po akong i-text, salamat", "opt_out", False, False),
    ("Mi nuh want no more text, but mi pressure high bad and mi head a hurt",
     "urgent", True, False),
    ("Don't text me no more, I don't care what happens to me anymore", "urgent", True, False),
    ("Dying laughing at how good I feel, finally ate a real meal", "unclassified", False, False),
    ("The hospital food was to die for, tell the cook I said hey", "unclassified", False, False),
    ("11", "urgent", False, False),
    ("I took my last pill yesterday and they didnt give me a refill", "urgent", False, False),
    ("I want to talk sooner", "urgent", False, False),
    ("talk sooner please", "urgent", False, False),
    ("1 (I'm her son)", "urgent", False, False),
    ("1 and then stop sending these", "urgent", True, False),
    ("took my last pill of antibiotics, all done", "unclassified", False, False),
    ("The hospital food was to die for, tell the cook I said hey", "unclassified", False, False),
    ("Dying laughing at how good I feel, finally ate a real meal", "unclassified", False, False),
    # thirtieth and thirty-first probes: replies from people who are not the patient, very
    # short replies
    ("This is Walgreens pharmacy on Main, we never received the new insulin script for this "
     "patient and she is currently without insulin",
     "urgent", False, False),
    ("Hospice nurse here, pt declining rapidly, family requesting a call from PCP today",
     "urgent", False, False),
    ("This is the ED at St. Mary's, your patient presented to us tonight, please fax the "
     "discharge summary",
     "urgent", False, False),
    ("Can a nurse call his wife? she doesn't text. 555-390-2288", "urgent", False, False),
    ("My aunt keeps nodding off mid sentence since she started the new pain pills",
     "urgent", False, False),
    ("We are at the urgent care with my dad now, they want to send him back to the hospital",
     "urgent", False, False),
    ("I'm her neighbor and I can hear her calling for help through the wall but she wont "
     "open the door",
     "urgent", False, False),
    ("Soy su vecina, la señora no tiene sus medicinas, nadie se las ha ido a comprar",
     "urgent", False, False),
    ("This is Brookdale front desk, resident was transferred to Mercy General this AM",
     "urgent", False, False),
    ("his daughter. we can't figure out which pills to stop, the list from the hospital is "
     "different than his bottles. need someone to call",
     "urgent", False, False),
    ("Mom seems fine but her speech got slurred for like 10 min last night and then went "
     "back to normal",
     "urgent", False, False),
    ("This is the nursing home business line, please remove it. Resident Harold B went back "
     "to the hospital today",
     "urgent", True, False),
    ("I'm just the neighbor, please stop sending these to me. But honestly someone should "
     "check on him, he looked really yellow yesterday",
     "urgent", True, False),
    ("I'm not Mr. Hale, I bought this phone used. Remove pls", "opt_out", False, False),
    ("Soy la nieta, mi abuelita no quiere más mensajes, gracias", "opt_out", False, False),
    ("Mom's fine, I'm the one bleeding money on her copays lol", "unclassified", False, False),
    ("Sop", "opt_out", False, False),
    ("stoo", "opt_out", False, False),
    ("ya no", "opt_out", False, False),
    ("wrong #", "opt_out", False, False),
    ("st op", "opt_out", False, False),
    ("cancle", "opt_out", False, False),
    ("call", "urgent", False, False),
    ("call pls", "urgent", False, False),
    ("yea", "urgent", False, False),
    ("hurry", "urgent", False, False),
    ("yup call", "urgent", False, False),
    ("pls call", "urgent", False, False),
    ("talk to nurse", "urgent", False, False),
    ("call the pharmacy for me", "unclassified", False, False),
    ("Mom's fine, I'm the one bleeding money on her copays lol", "unclassified", False, False),
    # thirty-second and thirty-third probes: angry and complaining replies, replies that
    # misunderstand the texts
    ("I want to speak to a real nurse not a text machine", "urgent", False, False),
    ("yes. call. now.", "urgent", False, False),
    ("1 and tell dr patel he never called me back like he said he would", "urgent", False, False),
    ("I'm so angry I could punch someone at that front desk. I might actually go down there "
     "and do it",
     "urgent", False, False),
    ("sure I'll reply 1. not that it matters. yall never call", "urgent", False, False),
    ("I need a refill on my pain meds and your office keeps hanging up on me. I've been out "
     "since yesterday",
     "urgent", False, False),
    ("The hospital lost my paperwork twice, billed me for a room I wasnt in, and now I'm "
     "barely peeing and it's dark brown. Fantastic.",
     "urgent", False, False),
    ("I would like a callback from an actual human regarding the conflicting instructions I "
     "was given. Thank you.",
     "urgent", False, False),
    ("I've been home 2 days and I keep forgetting stuff, my daughter says I'm repeating "
     "myself. No one mentioned this could happen",
     "urgent", False, False),
    ("hell yes I want to talk sooner. I've wanted to talk sooner for a week",
     "urgent", False, False),
    ("quiero hablar con una persona de verdad, no con un robot", "urgent", False, False),
    ("quit blowing up my phone", "opt_out", False, False),
    ("I'm reporting you to the state if you text me one more time", "opt_out", False, False),
    ("f*** off with the texts already", "opt_out", False, False),
    ("Whoever signed me up for this, undo it", "opt_out", False, False),
    ("Not a patient, never was, this is my business line. Remove it.", "opt_out", False, False),
    ("I do not authorize you to send my health info by text. Stop immediately.",
     "opt_out", False, False),
    ("Unsubscribe me. Also I never got my meds from the pharmacy so I've had nothing for 4 days",
     "urgent", True, False),
    ("Is this the pharmacy? They never called in my blood pressure pills and I've been out "
     "since Friday",
     "urgent", False, False),
    ("I got this text but I don't have a primary care doctor, can someone call and explain",
     "urgent", False, False),
    ("Can you call my daughter instead, she handles all my stuff. 555-0187",
     "urgent", False, False),
    ("I dont want to bother anyone but I havent kept any food down since I got home",
     "urgent", False, False),
    ("There's no medicine at the pharmacy under my name, they say the hospital never sent it",
     "urgent", False, False),
    ("No entiendo este mensaje, ¿alguien me puede llamar?", "urgent", False, False),
    ("¿Es la farmacia? Ya no tengo insulina y no me la han surtido", "urgent", False, False),
    ("¿Me pueden llamar en español? No entiendo lo del seguimiento", "urgent", False, False),
    ("Pls call. I don't read well", "urgent", False, False),
    ("I got charged last time for a phone call. If it's free then yes 1", "urgent", False, False),
    ("Quit texting me. I don't give out info over text", "opt_out", False, False),
    ("How do I make these stop", "opt_out", False, False),
    ("Please delete my info, I don't trust texts asking about my health", "opt_out", False, False),
    ("No sé quién es usted, por favor ya no me mande mensajes", "opt_out", False, False),
    ("No gracias, no quiero que me llamen", "opt_out", False, False),
    ("Do I have to answer? If not I'd rather just not get these", "opt_out", False, False),
    ("pls stop msging this number its my work phone", "opt_out", False, False),
    ("Take me off this list, but I have no more of my seizure medicine and nobody's helping",
     "urgent", True, False),
    ("No quiero más mensajes, pero necesito que alguien me llame sobre mis medicinas",
     "urgent", True, False),
    ("I havent kept anything down", "urgent", False, False),
    # a sign that is the negation itself, whatever the auxiliary ("no ha podido orinar" was read
    # as a negated sign, "no he podido orinar" as one)
    ("no ha podido orinar desde anoche", "urgent", False, False),
    ("mi papá no ha podido comer nada", "urgent", False, False),
    ("he hasn't gone since tuesday", "urgent", False, False),
    # thirty-fourth and thirty-fifth probes: missed calls and call-back times, Spanish of South
    # America and Spain (voseo, vosotros, formal usted)
    ("sorry I missed your call, can you try again after 3", "urgent", False, False),
    ("call after 5 thats when I get off work", "urgent", False, False),
    ("call my cell not the house phone 555-0143", "urgent", False, False),
    ("Please try me again at 4:30, I'll be on break", "urgent", False, False),
    ("1 but call my wife's phone she handles my stuff 555-0199", "urgent", False, False),
    ("Missed your call at work. Can you call on Saturday?", "urgent", False, False),
    ("I didnt get my prescription filled, they said insurance needs approval. been without "
     "since I left",
     "urgent", False, False),
    ("Can you call my son instead, he's the one who takes care of me. 555-0177",
     "urgent", False, False),
    ("Try again around 2, I'll have my phone on me", "urgent", False, False),
    ("Yes please. best time is evenings", "urgent", False, False),
    ("got the message. yes I would like a call Monday please", "urgent", False, False),
    ("I'm returning your call", "urgent", False, False),
    ("call when you can I'm up all night anyway", "urgent", False, False),
    ("whats the number to call? its the weekend and my stomach is bloated and hard",
     "urgent", False, False),
    ("Yes, im available now", "urgent", False, False),
    ("missed it, I was at my cardiology appt. can you try tomorrow between 1 and 3?",
     "urgent", False, False),
    ("Perdón no pude contestar, me pueden llamar después de las 5", "urgent", False, False),
    ("Ya no tengo medicina y la farmacia está cerrada el domingo", "urgent", False, False),
    ("I was at the laundromat, pls call again", "urgent", False, False),
    ("Ok yes call. My number changed tho its 555-0112 now", "urgent", False, False),
    ("I'm ok mostly but been having black stools since yesterday", "urgent", False, False),
    ("no calls please, texts are fine", "opt_out", False, False),
    ("I can't answer calls at work, text only", "opt_out", False, False),
    ("No phone calls please. I'm hard of hearing, text me only", "opt_out", False, False),
    ("Please no more voicemails", "opt_out", False, False),
    ("I'd rather you not call. I'm good", "opt_out", False, False),
    ("Tenga la bondad de comunicarse conmigo, no me he sentido bien desde que me dieron el alta.",
     "urgent", False, False),
    ("Si quiero hablar antes", "urgent", False, False),
    ("no tengo plata para comprar el anticoagulante, hace 3 dias que no lo tomo",
     "urgent", False, False),
    ("hablen con mi hijo por favor, yo no entiendo bien, llamenlo a este mismo numero",
     "urgent", False, False),
    ("Buenos días. Solicito que una enfermera se comunique conmigo el día de hoy. "
     "Atentamente, Rosario Méndez",
     "urgent", False, False),
    ("estoy mareadisima, se me nubla la vista cuando me paro", "urgent", False, False),
    ("Mija perdí las pastillas del corazón, no sé dónde las dejé y hoy no me las tomé",
     "urgent", False, False),
    ("se me durmio la mitad del cuerpo un rato y despues se me paso", "urgent", False, False),
    ("Disculpe, ¿podrían llamarme antes? Prefiero no esperar dos días", "urgent", False, False),
    ("no me mandés más mensajes", "opt_out", False, False),
    ("Dejad de enviarme mensajes, gracias", "opt_out", False, False),
    ("Agradecería que no me enviaran más mensajes.", "opt_out", False, False),
    ("Le ruego que me retire de su lista de mensajes.", "opt_out", False, False),
    ("Tenga la bondad de no volver a escribir a este número.", "opt_out", False, False),
    ("borrame de esto por favor", "opt_out", False, False),
    ("no mandes mas nada a este numero", "opt_out", False, False),
    ("no quiero que me llamen ni me escriban, yo me encargo de mis citas",
     "opt_out", False, False),
    ("Deje de mandarme esas cosas por favor señorita", "opt_out", False, False),
    ("Che, cortala con los mensajes, ya está", "opt_out", False, False),
    ("No deseo seguir recibiendo comunicaciones de su parte.", "opt_out", False, False),
    ("Ya no me mandes mensajitos mi amor, no los necesito", "opt_out", False, False),
    ("Solicito formalmente la baja de este servicio de mensajería.", "opt_out", False, False),
    ("no me mandes mas mensajes porfa, no los leo", "opt_out", False, False),
    ("ya no me escribás más, te lo pido por favor", "opt_out", False, False),
    ("Absténganse de enviarme más mensajes, por favor.", "opt_out", False, False),
    ("Me agarró un dolor en el pecho pero no me mandés más mensajes, me voy solo a la guardia",
     "urgent", True, False),
    ("Estoy con fiebre y la herida supura, pero dejad de enviarme mensajes, iré a urgencias",
     "urgent", True, False),
    ("Basta de textos po, igual me siento como las weas con la presion alta",
     "urgent", True, False),
]


@pytest.mark.parametrize("text, intent, also, opted_out", READ_AS_MEANT,
                         ids=[row[0][:40] for row in READ_AS_MEANT])
def test_replies_written_blind_are_read_as_meant(text: str, intent: str, also: bool,
                                                opted_out: bool) -> None:
    """§5 / MSG-2 / MSG-6: distress is urgent (a revocation with it does both), only a plain
    "fine" is doing well, a stop about a thing is no revocation, asking the texts back reaches
    a person (START opts back in)."""
    result = classify_reply(text, opted_out=opted_out)
    assert (result.intent, result.also_opt_out) == (intent, also), result


@pytest.mark.parametrize("text, intent", [
    ("estoy bien mala", "urgent"), ("fine 🚑", "urgent"), ("ok 🆘", "urgent"), ("🚑", "urgent"),
    ("I aint doing good at all", "urgent"), ("mama ain't wakin up", "urgent"),
    ("temp 103F", "urgent"), ("pulse 160", "urgent"), ("heart rate 35", "urgent"),
    ("INR 6.5", "urgent"), ("weight up 4lb", "urgent"), ("nosebleed for an hour", "urgent"),
    ("me siento fatal", "urgent"), ("tengo las piernas hinchadas", "urgent"),
    ("throwin up everything", "urgent"), ("i wanna end it", "urgent"),
    ("good 😭😭", "unclassified"), ("fine I guess", "unclassified"),
    ("I'm fine, NOT", "unclassified"), ("sure, I'm 'fine'", "unclassified"),
    ("ok-ish", "unclassified"), ("far from fine", "unclassified"), ("ok 👍", "doing_well"),
    ("estoy bien gracias", "doing_well"),
])
def test_emoji_hedges_bien_as_very_and_more_readings(text: str, intent: str) -> None:
    """§5, from a fourth probe of 601 replies (regional Spanish, emoji, hedges, readings):
    a distress emoji is read ("🚑", "🆘"), any other emoji, a hedge or sarcasm keeps a
    "fine" from being filed as doing well, "bien" before another word is "very" ("estoy bien
    mala"), "ain't" negates, and pulse, INR, a temperature with its unit and "weight up" are
    readings. "I wanna end it" is urgent (and, since it may mean the texts, revokes too)."""
    assert classify_reply(text).intent == intent, classify_reply(text)


@pytest.mark.parametrize("text", [
    "I'm good, no need to check on me anymore", "we're switching to another clinic, please "
    "take us off", "I no longer wish to be contacted by this service", "count me out",
    "no more txts", "st0p", "stoooop", "favor de no enviar mas",
])
def test_formal_and_indirect_revocations(text: str) -> None:
    """MSG-2: any reasonable wording, the formal and the indirect too."""
    assert classify_reply(text).intent == "opt_out", classify_reply(text)


@pytest.mark.parametrize("text", [
    "ya no le duele", "ya no tiene fiebre", "I don't have any trouble breathing",
    "Pain meds are working great", "chest x-ray was clear", "Urgent care said it was just a "
    "cold", "fell asleep early", "don't stop the texts, they help me",
    "quiero cancelar el taxi de mañana",
])
def test_negated_and_other_meanings_are_no_alarm(text: str) -> None:
    """§5: a negated symptom (Spanish "ya no le duele" too) or another meaning of the word
    ("pain meds", "urgent care", "fell asleep", "they help me") is no alarm; MSG-2: cancelling
    a taxi is no revocation."""
    result = classify_reply(text)
    assert result.intent not in ("urgent", "opt_out") and not result.also_opt_out, result


@pytest.mark.parametrize("text, intent", [
    ("No chest pain, no shortness of breath, feeling good", "unclassified"),
    ("no more pain in my chest, feeling great", "doing_well"),
    ("the pain is much better", "unclassified"), ("my pain has ended finally", "unclassified"),
    ("Gracias para todo", "unclassified"), ("cancel the nurse visit tomorrow", "unclassified"),
    ("take me off the waitlist for PT, I found another place", "unclassified"),
    ("stop sign at my corner, driver couldn't find my house", "unclassified"),
    ("Stop the water pill? Dr Lee said maybe", "unclassified"),
    ("quit bugging me my wound is fine", "opt_out"), ("plz stop txting", "opt_out"),
    ("dont need these anymore", "opt_out"), ("Kindly discontinue these messages.", "opt_out"),
    ("lose my number", "opt_out"), ("unsub", "opt_out"), ("borrar mi numero", "opt_out"),
])
def test_negated_or_resolved_symptoms_and_objects_of_stop_are_read_as_meant(
        text: str, intent: str) -> None:
    """§5: a negated or resolved symptom is no alarm (a resolved one still goes to a person,
    never filed as doing well); MSG-2: stop words with another object keep the patient on the
    program, and plain ways of saying stop revoke. "Gracias para todo" is thanks."""
    result = classify_reply(text)
    assert (result.intent, result.also_opt_out) == (intent, False), result


@pytest.mark.parametrize("text", [
    "Should I stop my lisinopril?", "Should I stop the antibiotics early?",
    "can I quit the antibiotics now", "When does my antibiotic course end?",
    "Doctor said stop the aspirin, is that right?", "Do I stop the metformin while I'm sick?",
    "I quit my job last week so I'm home all day", "I had to cancel my trip",
    "my blood pressure is 120/80 today", "blood sugar was 110 this morning, feeling good",
    "I had my blood drawn yesterday, all fine", "See you in the fall!", "er, ok",
    "1 more question about my pills",
])
def test_treatment_questions_and_normal_readings_are_neither_revocations_nor_alarms(
        text: str) -> None:
    """MSG-2: a question about stopping a medicine, or a trip cancelled, keeps the patient on
    the program (a person reads it); §5: a normal reading, "the fall" (a season) or a filler
    "er" is no alarm (only "Do I stop the metformin while I'm sick?" is urgent: "sick")."""
    result = classify_reply(text)
    assert result.intent != "opt_out" and not result.also_opt_out, result
    assert (result.intent == "urgent") is ("sick" in text), result


@pytest.mark.parametrize("text, also", [
    ("no texts please", False), ("No calls please", False), ("no more reminders", False),
    ("UN-SUBSCRIBE", False), ("S T O P", False), ("stahp", False),
    ("Stop asking me, I'm fine", False), ("Stop. Thanks for your help", False),
    ("stop, thanks for all the help", False), ("Para, me duele el pecho", True),
    ("ALTO. me caí", True),
])
def test_more_ways_to_say_stop(text: str, also: bool) -> None:
    """MSG-2: any reasonable wording revokes; thanks for "your help" is not a request for a
    call; a Spanish "para"/"alto" standing alone before a symptom revokes and escalates."""
    result = classify_reply(text)
    assert (result.intent, result.also_opt_out) == (("urgent", True) if also else
                                                    ("opt_out", False)), result


@pytest.mark.parametrize("text", [
    "2", "2.", "Good", "good thanks!", "fine", "ok", "I'm doing much better, thank you",
    "doing well, no pain", "No I'm fine", "no, I'm fine", "all good", "great",
    "bien", "estoy bien gracias", "mucho mejor", "I feel great today", "so far so good",
    "Bien, gracias a Dios", "Doing well, no complaints", "dos",
])
def test_doing_well(text: str) -> None:
    """§5: 2, good, fine -> logged as a patient response."""
    assert classify_reply(text).intent == "doing_well"


@pytest.mark.parametrize("text", [
    "what time is my appointment?", "fine, but is it ok to shower?", "Fine but I need a refill",
    "I walked 2 miles today and feel great", "fine pharmacy had no meds", "ok bill never came",
    "2 is it ok to drive", "good can i shower with the staples", "mostly good",
    "no pain", "no me duele", "no más dolor", "I take 1 pill a day", "cancel my appointment",
    "No", "no thanks", "who is this", "No, I haven't been admitted",
    "who is this", "Thank you", "👍", "", "   ", "when should I call?",
])
def test_anything_else_goes_to_a_person(text: str) -> None:
    """§5: neither urgent nor plainly well -> routed to the care team as unclassified (a
    question is never filed as "doing well", and a negated symptom is not an alarm)."""
    assert classify_reply(text).intent == "unclassified"


@pytest.mark.parametrize("text, opted_out, intent", [
    ("START", False, "opt_in"), ("start", True, "opt_in"), ("UNSTOP", True, "opt_in"),
    ("yes", True, "opt_in"), ("YES", False, "urgent"), ("si", True, "opt_in"),
    ("yes I fell", True, "urgent"), ("HELP", False, "help_keyword"),
    ("info", True, "help_keyword"), ("Help!", False, "help_keyword"),
    ("help me", True, "urgent"),
])
def test_opt_in_help_and_the_two_meanings_of_yes(text: str, opted_out: bool,
                                                 intent: str) -> None:
    """MSG-2: START/YES/UNSTOP opt back in, HELP/INFO alone asks for program info; §5: YES from
    a phone that is not opted out is "yes, call me" (urgent)."""
    assert classify_reply(text, opted_out=opted_out).intent == intent


@pytest.mark.parametrize("text, opt_out_type, opted_out, intent", [
    ("whatever", "STOP", False, "opt_out"), ("I fell", "STOP", False, "urgent"),
    ("START", "START", True, "opt_in"), ("whatever", "START", False, "opt_in"),
    ("yes", "START", True, "opt_in"), ("yes", "START", False, "urgent"),
    ("INFO", "HELP", False, "help_keyword"), ("stop", "", False, "opt_out"),
])
def test_twilio_opt_out_type(text: str, opt_out_type: str, opted_out: bool,
                             intent: str) -> None:
    """MSG-6: Twilio's OptOutType STOP revokes (and a cry for help with it still escalates);
    its START for a subscribed phone's YES stays the §5 "yes, call me"."""
    assert classify_reply(text, opt_out_type, opted_out=opted_out).intent == intent


def test_stop_with_a_cry_for_help_escalates_and_opts_out() -> None:
    """§5 / MSG-2: "stop texting me, my chest hurts": urgent first, and the revocation holds."""
    result = classify_reply("stop texting me, my chest hurts")
    assert (result.intent, result.also_opt_out) == ("urgent", True)
    assert classify_reply("stop the pain").also_opt_out is False


def test_the_reason_names_what_matched_not_the_text() -> None:
    """§5: the care team sees why (the keyword), never a copy of the message."""
    assert classify_reply("I think I fell yesterday").reason == "word 'fell'"
    assert classify_reply("STOP").reason == "keyword stop"


def test_normalization_folds_case_accents_apostrophes_and_splits_clauses() -> None:
    """§5: "Ayúdenme" and "ayudenme" read alike; "don't" is "dont"; punctuation ends a clause."""
    assert normalize("  Ayúdenme!! Don't  wait, NO  MÁS ") == \
        [["ayudenme"], ["dont", "wait"], ["no", "mas"]]


@pytest.mark.parametrize("digits, intent", [
    ("1", "urgent"), ("2", "doing_well"), ("9", "opt_out"), ("5", "unclassified"),
    ("", "unclassified"), (" 1 ", "urgent"),
])
def test_call_keys(digits: str, intent: str) -> None:
    """MSG-1 / §5: the call's keys as its script announces them: 1 nurse call, 2 doing well,
    9 stop calls; no key (timeout) goes to a person."""
    assert voice_digits(digits).intent == intent


@settings(max_examples=300)
@given(st.text())
def test_any_text_gets_one_intent_and_a_reason(text: str) -> None:
    """§5 property: every reply, however odd, is classified without error."""
    result = classify_reply(text)
    assert result.intent in INTENTS and result.reason


@settings(max_examples=200)
@given(st.sampled_from(sorted(OPT_OUT_WORDS)), st.sampled_from(["", " ", "  ", "\n"]),
       st.sampled_from(["", ".", "!", "!!", " please"]), st.booleans())
def test_opt_out_keywords_survive_case_spacing_and_punctuation(word: str, pad: str, tail: str,
                                                               upper: bool) -> None:
    """MSG-2 / MSG-6 property: a keyword is a keyword in any case, spacing or punctuation."""
    text = f"{pad}{word.upper() if upper else word.capitalize()}{tail}{pad}"
    assert classify_reply(text).intent == "opt_out"


@settings(max_examples=200)
@given(st.sampled_from(["2", "good", "fine thanks", "STOP", "no pain", "what time?", "bien",
                        "yes", "no", "ok"]),
       st.sampled_from(["I fell.", "my chest hurts", "bleeding", "me duele mucho", "1"]))
def test_a_cry_for_help_after_anything_is_urgent(before: str, cry: str) -> None:
    """§5 property: a new sentence with a cry for help makes the reply urgent, whatever came
    first."""
    assert classify_reply(f"{before}. {cry}").intent == "urgent"
