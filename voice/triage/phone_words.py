"""Words that say a number is a phone number, in every language triage knows, in one place: references.py
uses them to tell "my quote number 415 555 0123" (a reference) from "my cell number 415 555 0123" (a
phone), and names.py so that "Handy 0171 2345678" is not a caller called Handy."""

from __future__ import annotations

import re


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\S+", text.lower()))


# "<word> number", "número de <word>", "<word>nummer": a phone number, not a reference.
PHONE_WORDS = _words(
    """
    phone telephone tel cell cellphone cellular mobile landline contact callback call-back return fax home
    area country work office direct main best daytime evening business personal private whatsapp
    extension toll-free back night weekend desk reception switchboard hotline helpline service support sms
    voicemail pager spare foreign overseas domestic us uk american british canadian irish australian indian
    telefon handy mobil mobilfunk festnetz rückruf rufnummer kontakt büro privat durchwahl fax nummer
    teléfono telefono móvil movil celular fijo contacto whatsapp casa oficina trabajo
    téléphone portable fixe mobile rappel bureau domicile
    telefone telemóvel telemovel contato
    cellulare fisso ufficio lavoro recapito
    电话 電話 手机 手機 座机 座機 联系 聯繫 号码 號碼
    """
)
# Said before "number" but naming nothing ("my number", "the same number", "this number").
FUNCTION_WORDS = _words(
    """
    my your his her our their the a an this that same other new old another which what any one mi su tu el
    la mon ma ton le votre notre mein meine dein ihre die der das unser meu minha seu sua o mio mia il suo
    wrong right correct real actual second alternate alternative backup emergency good local international
    on at to me is was as call dial text reach under unter al au à em no na in di
    """
)
# Neither a caller's name nor a reference's kind, but said before digits: rooms and flats, and words said
# while correcting a number ("nein, Entschuldigung, 0171 ...").
PLACE_WORDS = _words(
    """
    room apartment apt flat suite unit floor building house zimmer wohnung haus stock etage appartement
    chambre bâtiment habitación habitacion piso apartamento quarto sala stanza camera
    sorry pardon entschuldigung verzeihung korrektur perdón perdon disculpe desculpa desculpe scusi scusa
    number nummer número numero numéro
    """
)
# Stems of German compounds for a phone number: Telefonnummer, Handynummer, Rückrufnummer.
GERMAN_PHONE_STEMS = (
    "telefon",
    "handy",
    "mobil",
    "festnetz",
    "rückruf",
    "ruf",
    "kontakt",
    "büro",
    "privat",
    "durchwahl",
    "fax",
    "service",
    "notruf",
    "geschäfts",
    "firmen",
    "whatsapp",
)
# Chinese words that end a phone label: 电话号码, 手机号, 联系号码.
ZH_PHONE_WORDS = (
    "电话",
    "電話",
    "手机",
    "手機",
    "座机",
    "座機",
    "联系",
    "聯繫",
    "号码",
    "號碼",
    "的",
    "我",
    "您",
    "你",
)


def is_phone_word(word: str) -> bool:
    """True when ``word`` (any case) labels a phone number or labels nothing ("my", "the")."""
    low = word.lower()
    # "my wife's number", "Sarah's number": whose phone it is
    return low in PHONE_WORDS or low in FUNCTION_WORDS or low.endswith(("'s", "’s"))
