"""Resident cards (*brukerkort*) for training: synthetic but plausible Norwegian residents.

A response centre's operator sees, with every alarm, the resident's card from the register:
name, address, how to get in (key box, e-lock), relatives in the order they are to be called,
care notes and an "important information" panel (Helsedirektoratet, *Veileder for
responstjenester*, IS-2552). vtsim makes these up: every card is drawn from its own random
stream of the session's seed and the resident's number, so the same session shows the same
people, and no card describes a real person (the names, streets and phone numbers are common
ones combined at random; the card says it is synthetic).

The map is schematic and offline: the scenario's zones as strips across a rectangle (width by
their share of residents), each home a point in its zone, and a GPS alarm's reported position
placed within the area the GPS model draws positions from.
"""

from __future__ import annotations

import math
import re

import numpy as np

from devices.contract.centre_actions import Contact, Position, ResidentCard
from devices.models.gps_tracker import HOME_LAT, HOME_LON, METRES_PER_DEGREE_LAT, RADIUS_M
from sim.model.randomness import Streams
from sim.scenario.schema import Scenario

SCRIPTED_PERSON = re.compile(r"(?P<name>[A-ZÆØÅ][a-zæøå]+) \((?P<age>\d{2,3})\)")
WOMEN = ("Kari", "Ingrid", "Astrid", "Solveig", "Bjørg", "Randi", "Liv", "Gerd", "Åse",
         "Marit", "Turid", "Ragnhild", "Eldbjørg", "Synnøve", "Gunvor", "Berit")
MEN = ("Ole", "Arne", "Bjørn", "Kjell", "Per", "Odd", "Svein", "Terje", "Håkon", "Øystein",
       "Egil", "Rolf", "Leif", "Asbjørn", "Sigurd", "Jørgen")
SURNAMES = ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen",
            "Kristiansen", "Jensen", "Karlsen", "Haugen", "Bakke", "Lie", "Dahl", "Sæther",
            "Strøm", "Lunde", "Aasen", "Myhre", "Solberg", "Berg", "Hagen", "Østby", "Løken")
STREETS = ("Kirkeveien", "Skolegata", "Bjørkeveien", "Granåsen", "Solbakken", "Fjordveien",
           "Eikelia", "Lindeveien", "Stasjonsveien", "Furumoen", "Åsveien", "Bakkegata",
           "Hegglia", "Rognebakken", "Tømmerveien", "Kløverveien")
RELATIONS = ("datter", "sønn", "ektefelle", "nabo", "barnebarn", "svigerdatter", "bror",
             "søster")
KEY_BOXES = ("Nøkkelboks ved inngangsdøren, kode {code}",
             "Nøkkelboks på baksiden (ved kjellerdøren), kode {code}",
             "E-lås: åpnes med hjemmetjenestens app",
             "Nøkkel i hjemmetjenestens nøkkelskap, knagg {code}",
             "Nøkkelboks i garasjen, kode {code}; gå inn via sidedøren")
CARE_NOTES = ("Hjemmesykepleie morgen og kveld", "Bruker rullator inne og ute",
              "Diabetes type 2, insulin morgen", "Hørselshemmet: snakk tydelig og langsomt",
              "Hjertesvikt, bruker vanndrivende", "Bor alene i enebolig, to etasjer",
              "Lett kognitiv svikt", "Parkinson, ustø gange", "Synshemmet",
              "Oksygen i hjemmet (konsentrator i stua)", "KOLS: kan bli tungpustet",
              "Får middag levert hver dag")
DEMENTIA_NOTES = ("Demens (moderat): kan bli urolig om natten",
                  "Går ut om natten; GPS-klokke på venstre arm")
IMPORTANT = ("Hund i huset (snill, men bjeffer)", "Allergi mot penicillin",
             "Pårørende vil varsles ved alle fall",
             "Hjertestarter i oppgangen, 1. etasje", "Bruker blodfortynnende (Eliquis)",
             "Snakker best polsk; datteren tolker", "Ikke gjenoppliv (HLR minus) – se journal",
             "Trapp uten rekkverk til soverommet")


class ResidentRegister:
    """The session's synthetic residents, one card per resident, made when first asked for."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self._cards: dict[int, ResidentCard] = {}
        self._named: dict[int, tuple[str, int]] = {}
        zones = scenario.zones
        total = sum(z.share for z in zones)
        edges = np.cumsum([0.0, *(z.share / total for z in zones)])
        self.strips = {z.name: (float(edges[i]), float(edges[i + 1]))
                       for i, z in enumerate(zones)}

    def name_from_script(self, number: int, call: str, year: int) -> None:
        """A scripted call that names the resident ("Ingrid (88) svarer …") sets the first
        name and birth year on their card, so card and call tell the same story."""
        match = SCRIPTED_PERSON.match(call.strip())
        if match is not None and number not in self._cards:
            self._named[number] = (match["name"], year - int(match["age"]))

    def _rng(self, what: str, number: int) -> np.random.Generator:
        return Streams(self.seed, 0).generator(f"training/residents/{what}/{number}")

    def card(self, number: int, profile: str, zone: str) -> ResidentCard:
        """The card of resident ``number`` (1-based)."""
        if number not in self._cards:
            card = make_card(self._rng("card", number), profile, zone)
            if number in self._named:
                first, born = self._named[number]
                card = card.model_copy(update={
                    "name": f"{first} {card.name.split(' ', 1)[1]}", "born": born})
            self._cards[number] = card
        return self._cards[number]

    def home(self, number: int, zone: str) -> Position:
        """Where the resident lives on the schematic map."""
        rng = self._rng("home", number)
        left, right = self.strips.get(zone, (0.0, 1.0))
        margin = 0.1 * (right - left)
        return Position(zone=zone, x=float(left + margin + rng.random() * (right - left
                                                                           - 2 * margin)),
                        y=float(0.15 + 0.7 * rng.random()))

    def gps(self, zone: str, lat: float, lon: float) -> Position:
        """A reported GPS position on the schematic map (clamped to its edge)."""
        north = (lat - HOME_LAT) * METRES_PER_DEGREE_LAT
        east = (lon - HOME_LON) * METRES_PER_DEGREE_LAT * math.cos(math.radians(HOME_LAT))
        x = min(1.0, max(0.0, 0.5 + east / (2 * RADIUS_M)))
        y = min(1.0, max(0.0, 0.5 - north / (2 * RADIUS_M)))
        return Position(zone=zone, x=x, y=y, lat=lat, lon=lon)

    def answers(self, number: int, incident: int, who: str, chance: float) -> bool:
        """Whether ``who`` answers the phone for this incident (drawn once per incident)."""
        return bool(self._rng(f"answers/{who}/{incident}", number).random() < chance)


def pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    """One of ``options``."""
    return options[int(rng.integers(len(options)))]


def phone(rng: np.random.Generator) -> str:
    """A Norwegian-looking mobile number (``9xx xx xxx`` or ``4xx xx xxx``)."""
    digits = f"{pick(rng, ('4', '9'))}{int(rng.integers(10_000_000)):07d}"
    return f"{digits[:3]} {digits[3:5]} {digits[5:]}"


def make_card(rng: np.random.Generator, profile: str, zone: str) -> ResidentCard:
    """One synthetic resident."""
    woman = rng.random() < 0.65  # most users of safety alarms are women (antakelse)
    surname = pick(rng, SURNAMES)
    name = f"{pick(rng, WOMEN if woman else MEN)} {surname}"
    contacts = tuple(
        Contact(name=f"{pick(rng, WOMEN + MEN)} {pick(rng, (surname, *SURNAMES))}",
                relation=pick(rng, RELATIONS), phone=phone(rng))
        for _ in range(int(rng.integers(1, 4))))
    notes = [pick(rng, CARE_NOTES) for _ in range(int(rng.integers(1, 3)))]
    if "demens" in profile:
        notes.insert(0, pick(rng, DEMENTIA_NOTES))
    important = [pick(rng, IMPORTANT)] if rng.random() < 0.7 else []
    code = f"{int(rng.integers(10_000)):04d}"
    return ResidentCard(
        name=name, born=int(rng.integers(1928, 1952)),
        address=f"{pick(rng, STREETS)} {int(rng.integers(1, 80))}, sone {zone}",
        phone=phone(rng), key_box=pick(rng, KEY_BOXES).format(code=code),
        contacts=contacts, care_notes=tuple(dict.fromkeys(notes)),
        important=tuple(important))
