"""Words and number formats in Bokmål (``nb``) and English (``en``): the benefit report, and
the terminal summaries of ``run``, ``check``, ``size``, ``sweep`` and ``compare``.

The language of the terminal is ``--lang``, or else the locale: ``LC_ALL``, ``LC_MESSAGES`` or
``LANG`` (the first one set) starting with ``nb``, ``nn`` or ``no`` gives Bokmål.

Norwegian numbers group thousands with a (non-breaking) space and use a decimal comma:
``1 234 567 kr``, ``12,5 %``. Formatting is babel's, with the ``nb_NO`` and ``en_GB`` locales.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal, Protocol

from babel.numbers import format_decimal

Lang = Literal["nb", "en"]
LOCALES: dict[str, str] = {"nb": "nb_NO", "en": "en_GB"}

TEXT: dict[str, dict[str, str]] = {
    "nb": {
        "title": "Gevinstrealisering: velferdsteknologi og responssenter",
        "page_one": "Sammendrag",
        "s_compared": "Hva er sammenlignet",
        "s_result": "Resultat",
        "s_depends": "Hva resultatet avhenger av",
        "s_excluded": "Hva som ikke er med",
        "scenario": "Scenario", "seed": "Startverdi for tilfeldige tall",
        "replications": "Antall gjentatte simuleringer", "version": "Programversjon (vtsim)",
        "window": "Måleperiode (døgn)", "checksum": "Kontrollsum for scenariofilen",
        "year": "År", "indicator": "Indikator", "value": "Verdi", "ci": "± 95 % KI",
        "unit": "Enhet", "line": "Post",
        "baseline": "Uten teknologi", "technology": "Med teknologi", "saved": "Spart",
        "t_summary": "Hovedtall", "t_gains": "Tre typer gevinst, ett år med full effekt,",
        "t_visits": "Hjemmebesøk per uke etter formål",
        "t_devices": "Sparte hjemmebesøk per uke etter teknologi",
        "t_hours": "Arbeidstimer i hjemmetjenesten per år",
        "t_home_service": "Modellerte brukere som andel av hele hjemmetjenesten",
        "hs_recipients": "Mottakere av hjemmetjenester i kommunen",
        "hs_modelled_users": "Modellerte brukere med planlagte besøk",
        "hs_share_users": "Andel av mottakerne",
        "hs_arsverk": "Årsverk i hjemmetjenesten",
        "hs_hours": "Lønnede timer i hjemmetjenesten per år",
        "hs_baseline_hours": "Modellerte timer uten teknologi per år",
        "hs_share_hours": "Andel av hjemmetjenestens timer",
        "hs_ratio": "Timer per modellert bruker / timer per mottaker",
        "hs_share_visits": "Andel av hjemmetjenestens besøk",
        "hs_share_direct": "Andel av vedtakstimene (tid i hjemmet)",
        "t_quality": "Kvalitet", "t_years": "Simulerte år",
        "t_cash_flows": "Kontantstrøm per år (1 000 kr, faste priser)",
        "t_break_even": "Nullpunkt: hvor stor må forutsetningen være for netto nåverdi 0?",
        "t_non_priced": "Ikke-prissatte virkninger (pluss-minus-metoden)",
        "t_answer_time": "Svartid i responssenteret",
        "t_load": "Belastning per time i responssenteret",
        "t_sensitivity": "Følsomhet: årlig nettovirkning med hver forutsetning lav og høy,",
        "t_assumptions": "Forutsetninger og kilder", "t_run": "Om beregningen",
        "npv_net.cash": "Netto nåverdi, kontantvirkninger etter skattekostnad",
        "npv_net.with_capacity": "Netto nåverdi medregnet verdien av frigjort kapasitet",
        "npv_budget.net": "Netto nåverdi for kommunebudsjettet",
        "npv_of": "Netto nåverdi", "annualised": "Årlig nettovirkning (annuitet), kontanter",
        "visits_saved_week": "Sparte hjemmebesøk per uke",
        "hours_saved_year": "Frigjorte arbeidstimer per år",
        "arsverk_freed": "Frigjorte årsverk i hjemmetjenesten (brutto)",
        "arsverk_freed_net": "Frigjorte årsverk (netto, fratrukket responssenteret)",
        "answered_60": "Andel alarmer besvart innen 60\u00a0s",
        "gain_cash_hours": "Kontantfrigjørende: timer tatt ut av budsjettet per år",
        "gain_cash_nok": "Kontantfrigjørende: kostnader som faller bort per år",
        "gain_capacity_hours": "Frigjort kapasitet: timer per år",
        "gain_capacity_arsverk": "Frigjort kapasitet og kontanter samlet: årsverk",
        "gain_capacity_value": "Frigjort kapasitet verdsatt i kroner per år (ikke kontanter)",
        "gains_note": "Kontantfrigjørende gevinster er kostnader som forsvinner fra budsjettet. "
                      "Frigjort kapasitet er tid som kan møte økt behov; verdien i kroner vises "
                      "bare på sin egen linje og legges aldri til kontantene. Kvalitetsgevinster "
                      "står i tabellen over ikke-prissatte virkninger og i kvalitetstabellen.",
        "avoided": "Kostnader som faller bort per år", "net": "Netto budsjettvirkning per år",
        "cf_costs.investment": "Kjøp og installasjon (også reinvestering)",
        "cf_costs.residual_value": "Restverdi ved periodens slutt",
        "cf_costs.one_off": "Engangskostnader (prosjekt, anskaffelse, opplæring)",
        "cf_costs.rent": "Leie av utstyr", "cf_costs.licences": "Lisenser og alarmmottak",
        "cf_costs.centre_staff": "Bemanning av responssenteret",
        "cf_costs.total": "Kostnader i alt",
        "cf_gains.cash.hours": "Timer tatt ut av budsjettet",
        "cf_gains.cash.items": "Andre kostnader som faller bort",
        "cf_gains.cash": "Kontantfrigjørende gevinster i alt",
        "cf_budget.net": "Netto for kommunebudsjettet",
        "cf_tax_cost": "Skattefinansieringskostnad",
        "cf_net.cash": "Netto kontantvirkning",
        "cf_capacity.hours": "Frigjort kapasitet (timer)",
        "cf_capacity.value": "Frigjort kapasitet verdsatt (ikke kontanter)",
        "cf_net.with_capacity": "Netto medregnet frigjort kapasitet",
        "cf_arsverk.freed_gross": "Frigjorte årsverk (brutto)",
        "cf_arsverk.centre": "Årsverk i responssenteret (med turnusfaktor)",
        "cf_arsverk.freed_net": "Frigjorte årsverk (netto)",
        "cf_discount_factor": "Diskonteringsfaktor",
        "cf_note": "Faste {price_year}-kroner. Kalkulasjonsrente {rate} og "
                   "skattefinansieringskostnad {tax} (Finansdepartementet, rundskriv R-109/2021; "
                   "DFØ, Veileder i samfunnsøkonomiske analyser). Timer og årsverk er ikke kroner.",
        "lever_hourly_cost": "Timekostnad i hjemmetjenesten",
        "lever_cash_share": "Andel frigjorte timer tatt ut av budsjettet",
        "lever_gain_scale": "Andel av den simulerte gevinsten som realiseres",
        "lever_operator_hourly_cost": "Timekostnad for operatør",
        "lever_one_off": "Engangskostnader i alt",
        "t_sensitivity_npv": "Følsomhet i netto nåverdi av kontantvirkningene",
        "npv_low": "Netto nåverdi ved lav", "npv_high": "Netto nåverdi ved høy",
        "within_range": "Nullpunkt mellom lav og høy",
        "sensitivity_npv_note": "Én forutsetning endret om gangen over hele analyseperioden. "
                                "Nullpunktet er verdien som gir netto nåverdi null, funnet "
                                "lineært mellom lav og høy.",
        "now": "Nå", "break_even": "Nullpunkt", "possible": "Mulig verdi",
        "yes": "Ja", "no": "Nei", "no_impossible": "Nei (umulig)",
        "no_unrealistic": "Nei (utenfor realistisk område)",
        "staffing_operators": "Operatører på vakt ({shifts})",
        "shift_day": "dag", "shift_evening": "kveld", "shift_night": "natt",
        "staffing_met": "Svarmålet nådd i alle vakter ({share} innen {within})",
        "break_even_note": "Nullpunktet er verdien som gir netto nåverdi lik null når alt annet "
                           "er uendret; «–» betyr at ingen verdi gir null. En andel over "
                           "100 % er umulig; en kostnad over tre ganger eller under en "
                           "tredjedel av dagens er utenfor realistisk område.",
        "effect": "Virkning", "affects": "Berører", "assessment": "Vurdering",
        "why": "Begrunnelse", "evidence": "Målt i simuleringen",
        "non_priced_note": "Skala fra ---- (stor negativ) til ++++ (stor positiv). Virkningene "
                           "er ikke regnet om til kroner.",
        "users": "brukerne", "relatives": "pårørende", "staff": "ansatte",
        "municipality": "kommunen", "measured": "målt",
        "operator_arsverk": "Årsverk i responssenteret (med turnusfaktor)",
        "with_tech_arsverk": "Årsverk i hjemmetjenesten med teknologi (kommunens plan fratrukket)",
        "years_note": "Tallene gjelder hvert simulerte år med full effekt; innfasing, "
                      "reinvestering og diskontering står i kontantstrømmen.",
        "answer_mean": "Gjennomsnittlig svartid",
        "answer_within": "Andel alarmer besvart innen {t}",
        "visit_mean": "Gjennomsnittlig tid fra alarm til hjelperen er hos brukeren",
        "visit_within": "Andel utrykninger fremme innen {t}",
        "missed_caught": "Glemte doser fanget opp per uke",
        "missed_answer": "Svartid for glemte doser",
        "missed_visit": "Andel glemte doser som endte i besøk",
        "gps_found": "Personer funnet med GPS per år",
        "gps_time": "Tid til personen er funnet med GPS",
        "search_count": "Leteaksjoner uten GPS per år",
        "search_time": "Tid til personen er funnet uten GPS",
        "answer_bin": "Svartid", "share_of_alarms": "Andel alarmer", "hour": "Time",
        "parameter": "Forutsetning", "low": "Lav", "high": "Høy",
        "net_low": "Resultat ved lav", "net_high": "Resultat ved høy", "source": "Kilde",
        "base_case": "Basis (alle forutsetninger som i scenarioet)",
        "sensitivity_note": "Årlig nettovirkning medregnet frigjort kapasitet, ett år med full "
                            "effekt, én forutsetning endret om gangen.",
        "assumptions_note": "«Antakelse» betyr at tallet ikke har en offentlig kilde; "
                            "begrunnelsen står etter kolon.",
        "devices_note": "Utstyr i bruk: {devices}.",
        "arsverk": "Årsverk",
        "travel": "Reise", "on_site": "Tid i hjemmet", "key_handling": "Nøkkelhåndtering",
        "alarm_answering": "Besvare alarmer", "search": "Leting etter savnede",
        "alarm": "Utrykning på alarm", "total": "Totalt",
        "safety_alarm": "Trygghetsalarm", "gps_tracker": "GPS (lokaliseringsteknologi)",
        "e_lock": "E-lås", "medicine_dispenser": "Medisindispenser",
        "night_supervision": "Digitalt tilsyn",
        "centre_setup": "Etablering av responssenteret",
        "dose_missed": "glemt dose", "geofence_exit": "utenfor trygg sone",
        "fall_detected": "fall oppdaget", "bed_exit": "ute av sengen",
        "button_press": "trykk på alarmknappen",
        "c_answer": "Svartid i responssenteret mot mål",
        "c_answer_x": "Svartid", "c_answer_y": "Andel alarmer (%)", "c_target": "mål {t}",
        "c_load": "Belastning per time mot bemanning",
        "c_load_x": "Time på døgnet", "c_load_y": "Operatører",
        "c_busy": "Opptatte operatører (snitt)", "c_on_duty": "Operatører på vakt",
        "c_devices": "Sparte hjemmebesøk per uke etter teknologi",
        "c_devices_x": "Besøk per uke (negativ: flere besøk)",
        "c_cash_flows": "Kostnader, kontantgevinster og netto per år",
        "c_yearly": "Gevinst per simulert år", "c_yearly_y": "Millioner kr",
        "c_tornado": "Følsomhet: årlig nettovirkning", "c_tornado_x": "Millioner kr per år",
        "c_base": "Basis",
        "assumption": "antakelse",
        "note_baseline": "Svartider og utrykningstider gjelder responssenteret "
                         "(med teknologi). Uten teknologi svarer hjemmetjenesten selv, og den "
                         "svartiden er ikke modellert.",
        "results": "Resultater", "appendix": "Vedlegg: detaljer og forutsetninger",
        "t_uncertainty": "Usikkerhet når alle usikre forutsetninger trekkes samtidig",
        "outcome_nok.cumulative": "netto gevinst over planperioden",
        "outcome_npv.net.cash": "netto nåverdi av kontantvirkningene",
        "outcome_npv.net.with_capacity": "netto nåverdi medregnet frigjort kapasitet",
        "outcome_other": "resultatet",
        "psa_mean": "Gjennomsnitt", "psa_p10": "P10 (10 % av trekningene er lavere)",
        "psa_p50": "P50 (median)", "psa_p90": "P90 (90 % av trekningene er lavere)",
        "psa_p_negative": "Sannsynlighet for negativt resultat",
        "psa_n": "Antall trekninger", "psa_noise": "Tilfeldig variasjon i simuleringen",
        "uncertainty_note": "Hver forutsetning med et spenn i scenarioet trekkes fra sin "
                            "fordeling, samtidig med de andre og med simuleringens egen "
                            "variasjon (probabilistisk følsomhetsanalyse).",
        "t_ranking": "Hvilke forutsetninger betyr mest (Sobol-indekser)",
        "sobol_total": "Total indeks", "sobol_first": "Førsteordens indeks",
        "ranking_note": "Andelen av variasjonen i resultatet som skyldes forutsetningen, alene "
                        "(førsteordens) og sammen med de andre (total). Høyest total indeks "
                        "øverst.",
        "c_ranking": "Hvilke forutsetninger betyr mest", "c_ranking_x": "Total Sobol-indeks",
        # the terminal summaries of run, check, size, sweep and compare
        "days_short": "døgn", "time_left": "igjen",
        "r_alarms": "Alarmer etter teknologi og hendelse (per døgn)",
        "r_device_event": "teknologi: hendelse", "r_per_day": "per døgn", "r_share": "andel",
        "r_all_incidents": "alle alarmer",
        "r_answer": "Svartid (melding mottatt → operatør svarer)",
        "r_figure": "størrelse", "r_value": "verdi",
        "r_mean": "gjennomsnitt", "r_median": "median", "r_p90": "90-persentil",
        "r_p99": "99-persentil", "r_waited": "måtte vente", "r_within": "innen {t}",
        "r_operators": "Operatører i responssenteret", "r_shift": "vakt",
        "r_on_duty": "på vakt", "r_utilisation": "utnyttelse", "r_all": "alle",
        "r_visits": "Hjemmebesøk på alarm (utrykning)",
        "r_response_mean": "fremme, gjennomsnitt", "r_response_p90": "fremme, 90-persentil",
        "r_wait_worker": "venter på ledig ansatt, snitt", "r_on_site": "fremme innen {t}",
        "r_outcomes": "Utfall (per døgn)", "r_outcome": "utfall",
        "o_resolved_remotely": "løst på avstand", "o_relatives_called": "pårørende varslet",
        "o_home_visit": "hjemmebesøk", "o_technical_followup": "teknisk oppfølging",
        "o_emergency_services": "nødetat varslet (AMK)",
        "r_messages": "Meldinger (per døgn)", "r_where": "hvor",
        "m_incident": "ny alarm", "m_correlated": "slått sammen med åpen alarm",
        "m_duplicate": "duplikat", "m_rejected": "avvist (ugyldig)", "m_info": "informasjon",
        "m_aggregated": "telemetri (bare telt)", "m_all": "alle meldinger",
        "r_plusminus": "Tallene er gjennomsnitt ± halv bredde av 95 % konfidensintervall over "
                       "{n} repetisjoner, hver målt fra døgn {first} til døgn {last} av den "
                       "simulerte tiden (innsvingningen før er ikke med). Der intervallet "
                       "ville gått under 0 eller over 100 %, vises grensene i parentes, "
                       "avkortet: 99,9 (99,6–100) %.",
        "r_wrote": "Skrev {files} ({n} repetisjoner på {s} s).",
        "r_check_ok": "{file}: i orden ({name})",
        "chk_note": "merk",
        "chk_profile_implicit": "devices.{kind}: scenarioet har ingen innstillinger; den "
                                "medfølgende profilen «{profile}» gjelder ({where})",
        "chk_profile_changed": "devices.{kind}: medfølgende profil «{profile}» med "
                               "scenarioets endringer",
        "chk_profile_unchanged": "devices.{kind}: medfølgende profil «{profile}», uendret",
        "chk_benefit": "gevinst: {users} modellerte brukere av hjemmetjenesten av {recipients} "
                       "mottakere; de planlagte besøkene deres trenger om lag {hours} "
                       "arbeidstimer i året, {share} av hjemmetjenestens {paid} betalte timer i "
                       "{year} (alarmer og leteaksjoner kommer i tillegg i compare)",
        "r_warning": "advarsel", "r_error": "feil",
        "r_long_run": "simulert tid på {days} døgn: omtrent {events} simulerte meldinger i {n} "
                      "repetisjon(er); regn med omtrent {gb} GB minne og {time} på {processes} "
                      "prosess(er) (målt på en maskin som i docs/performance.md). Ett år "
                      "(horizon: 365d) gir stabile årstall; --log-format none sparer det meste "
                      "av minnet.",
        "sw_title": "Variasjoner: måloppnåelse og nøkkeltall",
        "sw_answer_mean": "svartid snitt", "sw_busy": "operatører opptatt",
        "sw_point": "punkt", "sw_target": "mål", "sw_share": "andel",
        "sw_points": "{points} punkter x {n} repetisjoner, startverdi {seed}",
        "sw_running": "Kjører på {backend}.", "sw_bar": "variasjoner",
        "sw_wrote": "Skrev {files} og {jsonl}.", "r_wrote_files": "Skrev {files}.",
        "sw_plusminus": "Andel: alarmer besvart (svar) eller fremme (besøk) innen tiden. ± er "
                        "halv bredde av 95 % konfidensintervall over {n} repetisjoner per punkt.",
        "sz_bar": "bemanning {year}",
        "sz_title": "{year}: {users} brukere, {incidents} alarmer per døgn (simulerte "
                    "bemanninger: {points})",
        "sz_dimension": "vakt / sone", "sz_simulated": "simulert",
        "sz_attainment": "måloppnåelse (snitt, nedre {c})", "sz_why": "hvorfor de er ulike",
        "sz_operators": "operatører", "sz_field": "hjemmetjeneste",
        "sz_not_met": "ikke nådd", "sz_no_events": "ingen hendelser",
        "sz_intro": "Bemanning for {name} ({file}) med mål: {targets}",
        "sz_rule": "Et mål er nådd når nedre grense av {c} konfidensintervall for andelen, over "
                   "{n} repetisjoner, når målet, i hver vakt (alarmer mottatt mens den er på "
                   "vakt) og hver sone.",
        "sz_two": "Aldri færre enn to operatører på vakt (Helsedirektoratet IS-2552).",
        "sz_growth": "Antall brukere vokser {rate} per år ({source}).",
        "sz_as_given": "som gitt",
        "cmp_year": "{year}: sparte hjemmebesøk {visits} per uke, {hours} timer per år, "
                    "frigjorte årsverk {gross} brutto, {net} netto etter responssenteret; "
                    "budsjett {nok} per år",
        "cmp_year_cost": "{year}: sparte hjemmebesøk {visits} per uke, {hours} timer per år, "
                         "frigjorte årsverk {gross} brutto, men responssenteret koster {net} "
                         "årsverk netto; budsjett {nok} per år",
        "cmp_npv": "Netto nåverdi {first}–{last} med {rate} rente, {name}: {value}",
        "cmp_npv_cash": "bare kontanter (hovedtall)",
        "cmp_npv_capacity": "medregnet verdien av frigjort kapasitet (ikke kontanter)",
        "cmp_staffing": "{year}: operatører {shifts} ({source}); {target}: {met}",
        "cmp_met": "nådd", "cmp_not_met": "IKKE nådd i {shifts}",
        "cmp_psa": "Usikkerhet ({n} trekninger av {k} forutsetninger og simuleringen): netto "
                   "nåverdi ({line}) P10 {p10}, P50 {p50}, P90 {p90}; sannsynlighet for "
                   "negativ {neg}",
        "cmp_psa_top": "Betyr mest (total Sobol-indeks): {top}",
        "cmp_line_cash": "kontanter", "cmp_line_capacity": "med frigjort kapasitet",
        "cmp_wrote": "Skrev {out}/metrics.json, data/replications.csv, scenario.resolved.yaml "
                     "({n} repetisjoner x {years} år på {s} s). Neste: vtsim report {out} "
                     "--lang nb --format html",
        "cmp_plusminus": "± er halv bredde av 95 % konfidensintervall over {n} repetisjoner "
                         "per år.",
        "cmp_no_sensitivity": "Ingen usikkerhetsanalyse (PSA) eller tornadodiagram: scenarioet "
                              "har ingen benefit.sensitivity (docs/scenario.md, avsnitt 15).",
        "cmp_no_psa": "Ingen usikkerhetsanalyse (PSA): --psa-samples 0.",
        "cmp_both_arms": "{name}: begge alternativer",
        "cmp_sizing": "{year}: finner bemanningen for {target} ({n} repetisjoner per bemanning "
                      "som prøves; gi --staffing eller skriv benefit.economics.staffing for å "
                      "hoppe over dette)",
        "cmp_modelled": "{year}: de modellerte brukerne ({users} av {recipients} mottakere) står "
                        "for {share} av hjemmetjenestens betalte timer",
        "cmp_not_plausible": "Resultatene er skrevet for kontroll, men grunnalternativet er ikke "
                             "rimelig sammenlignet med kommunens hjemmetjeneste:",
        "st_given": "gitt", "st_scenario": "fra scenarioet", "st_cache": "lagret",
        "st_search": "funnet ved søk", "st_as written": "som skrevet",
        "wrote": "Skrev {path}",
        "why_unreachable_ci": "ikke nådd med sikkerhet med {n}: snittet når målet, men nedre "
                              "grense gjør det ikke, og flere ansatte endrer ikke lenger "
                              "andelen; kjør flere repetisjoner (eller en lengre periode) for "
                              "et smalere intervall",
        "why_unreachable_shift": "ikke nådd selv med {n}: flere ansatte hjelper ikke nok; "
                                 "kontroller behandlingstider og målet",
        "why_unreachable_zone": "ikke nådd selv med {n}: flere ansatte hjelper ikke nok; "
                                "reisetid og vurdering før utrykning bruker opp målet",
        "why_floor": "gulvet på {floor} fra IS-2552 gjelder (Erlang C trenger {analytic})",
        "why_agrees_shift": "stemmer med Erlang C time for time",
        "why_fewer_shift": "færre enn Erlang C: den dimensjonerer hver time for seg (toppen "
                           "kl. {peak}:00 trenger {analytic}); i simuleringen tømmes køen fra "
                           "en kort topp i vaktas roligere timer, og målet gjelder hele vakta",
        "why_more_shift": "flere enn Erlang C: {parts}",
        "why_bursts": "planlagte alarmer som kommer samtidig (dispensere kl. {hours}:xx), ikke "
                      "Poisson",
        "why_repeats": "gjentatte alarmer mens de venter",
        "why_lower_bound": "nedre grense av konfidensintervallet, ikke snittet, må nå målet",
        "why_zone_no_estimate": "Erlang C gir ikke noe anslag: vurdering (~{delay}) og "
                                "gjennomsnittlig reisetid bruker opp målet",
        "why_agrees_zone": "stemmer med Erlang C på gjennomsnittlig reisetid",
        "why_zone_floor": "én hjemmetjenesteansatt er det minste en sone har",
        "why_more_zone": "flere enn Erlang C: besøkene starter etter svar og vurdering "
                         "(~{delay}), reisetiden varierer rundt snittet, og besøkene kommer "
                         "tett i tid",
        "why_fewer_zone": "færre enn Erlang C: den dimensjonerer topptimen (kl. {peak}:00) som "
                          "om den varte; besøkene er få, en ansatt er sjelden fortsatt ute når "
                          "neste alarm kommer, og målet gjelder hele døgnet",
        "sheet_summary": "Sammendrag", "sheet_gains": "Gevinster",
        "sheet_cash_flows": "Kontantstrøm per år", "sheet_break_even": "Nullpunkt",
        "sheet_non_priced": "Ikke prissatt", "sheet_visits": "Besøk", "sheet_devices": "Enheter",
        "sheet_hours": "Timer", "sheet_home_service": "Hjemmetjenesten",
        "sheet_quality": "Kvalitet", "sheet_answer_time": "Svartid", "sheet_load": "Belastning",
        "sheet_years": "År", "sheet_sensitivity": "Følsomhet",
        "sheet_sensitivity_npv": "Følsomhet nåverdi", "sheet_uncertainty": "Usikkerhet",
        "sheet_ranking": "Rangering", "sheet_assumptions": "Forutsetningstabell",
        "sheet_run": "Kjøring", "sheet_follow_up_centre": "Oppfølging senter",
        "sheet_figures": "Tallkilder",
        "init_summary": "{name}: {devices} enheter i {groups} brukergrupper, {zones} sone(r); "
                        "operatører per vakt {shifts}",
        "init_wrote": "Skrev {path}. Neste: vtsim check {path}; vtsim run {path} --out {out}",
        "d_safety_alarm": "trygghetsalarm", "d_gps_tracker": "GPS",
        "d_e_lock": "e-lås", "d_medicine_dispenser": "medisindispenser",
        "d_night_supervision": "digitalt tilsyn",
        "ev_safety_alarm.button_need": "trykk, trenger hjelp",
        "ev_safety_alarm.button_accidental": "trykk ved et uhell",
        "ev_safety_alarm.button_information": "trykk, vil spørre om noe",
        "ev_safety_alarm.fall_detected": "fall oppdaget",
        "ev_safety_alarm.heartbeat": "livstegn", "ev_safety_alarm.battery_low": "lavt batteri",
        "ev_safety_alarm.connection_lost": "mistet forbindelsen",
        "ev_gps_tracker.geofence_exit": "utenfor trygg sone", "ev_gps_tracker.sos": "SOS-knapp",
        "ev_gps_tracker.position": "posisjon", "ev_gps_tracker.battery_low": "lavt batteri",
        "ev_e_lock.unlocked_by_staff": "låst opp av ansatt",
        "ev_e_lock.locked_by_staff": "låst av ansatt",
        "ev_e_lock.door_open_too_long": "døren står åpen for lenge",
        "ev_e_lock.jammed": "låsen sitter fast", "ev_e_lock.battery_low": "lavt batteri",
        "ev_e_lock.night_door_opened": "døren åpnet om natten",
        "ev_medicine_dispenser.dose_taken": "dose tatt",
        "ev_medicine_dispenser.dose_missed": "glemt dose",
        "ev_medicine_dispenser.reminder": "påminnelse",
        "ev_medicine_dispenser.jammed": "dispenseren sitter fast",
        "ev_medicine_dispenser.empty": "tom", "ev_medicine_dispenser.refill_due": "må fylles",
        "ev_night_supervision.bed_exit_no_return": "ute av sengen, ikke tilbake",
        "ev_night_supervision.fall": "fall", "ev_night_supervision.check_ok": "tilsyn i orden",
        # the terminal summaries of a region (members sharing one centre)
        "g_intro": "{name}: {n} kommuner deler ett responssenter ({per_day} alarmer per døgn)",
        "g_shared_operators": "Felles responssenter: operatører",
        "g_members": "Kommunene (hver kommunes egne alarmer og besøk)",
        "g_region": "regionen", "g_figure": "størrelse",
        "g_incidents_day": "alarmer per døgn", "g_answer_mean": "svartid, snitt",
        "g_answer_p90": "svartid, 90-persentil", "g_within": "besvart innen {t}",
        "g_visits_day": "utrykninger per døgn", "g_visit_mean": "fremme, snitt",
        "g_on_site": "fremme innen {t}", "g_operator_hours": "operatørtimer per døgn",
        "g_operator_share": "andel operatørtid",
        "g_cost_sharing": "Kostnadsdeling (tusen kr per år; gevinst = egen sentral minus andel)",
        "g_member_key": "kommune / nøkkel", "g_own": "egen sentral",
        "g_share": "andel {what}", "g_gain": "gevinst {what}",
        "g_key_inhabitants": "per innbygger", "g_key_devices": "per enhet",
        "g_key_alarms": "per alarm", "g_key_operator_minutes": "per operatørminutt",
        "g_key_fixed_variable": "fast + variabel",
        "g_models": "Organisering: {name} (snitt ± 95 % KI; Δ = parvis forskjell fra egen "
                    "sentral)",
        "g_m_own": "egen sentral", "g_m_shared": "felles sentral",
        "g_m_direct": "hjemme-\ntjenesten\nsvarer", "g_m_purchased": "kjøpt tjeneste",
        "g_contract": "(avtale)", "g_arsverk": "årsverk (egne ansatte som svarer)",
        "g_cost": "kostnad per år, tusen kr", "g_d_cost": "Δ kostnad",
        "g_npv": "netto nåverdi {first}–{last}, tusen kr", "g_d_npv": "Δ netto nåverdi",
        "g_wrote": "Skrev {out}/metrics.json, region.resolved.yaml, member.*.resolved.yaml{log} "
                   "({n} repetisjoner på {s} s).",
        "g_models_bar": "organiseringsmodeller",
        "g_check_ok": "{file}: i orden ({name}, {n} kommuner: {members})",
        "g_sizing_intro": "Bemanner {name}: {n} kommuner, {targets} for hver kommune i hver "
                          "vakt; Erlang C-start {start}; {days} døgn per repetisjon, høyst {most}, "
                          "konfidens {c}.",
        "g_sizing": "Bemanning av felles sentral: {name}",
        "g_erlang": "Erlang C", "g_chosen": "valgt", "g_binding": "avgjørende kommune",
        "g_why": "hvorfor",
        "g_attainment": "Hver kommune ved valgt bemanning (andel innen målet, snitt og "
                        "intervall)",
        "g_member": "kommune",
        "g_alone": "Erlang C per time, hver kommune med egen sentral på de samme vaktene: "
                   "{alone} – til sammen {together}, mot {erlang} felles (Erlang C) og "
                   "{chosen} felles (simulert).",
        "g_cost_line": "{staffings} bemanninger, {replications} repetisjoner ({incidents} "
                       "alarmer, {years} regionår simulert) på {wall} ({cpu} prosessorsekunder)",
        "g_wrote_sizing": "Skrev {path}",
        "g_r_unreachable": "ikke nådd med sikkerhet selv med {n}: sjekk kommunenes "
                           "behandlingstider og målet",
        "g_r_floor": "minstekravet på {n} operatører (IS-2552) avgjør",
        "g_r_least": "{member} har minst margin",
        "g_r_binds": "{member} avgjør: med {n} er andelen innen {t} {mean} (intervall "
                     "{interval}), {short}",
        "g_r_short": "under {share}", "g_r_not_shown": "ikke vist å nå {share}",
        "g_r_on_mean": "; vurdert på snittet etter {n} repetisjoner, intervallet fortsatt for "
                       "bredt: {members}",
    },
    "en": {
        "title": "Benefit realisation: welfare technology and a response centre",
        "page_one": "Summary",
        "s_compared": "What was compared",
        "s_result": "Result",
        "s_depends": "What the result depends on",
        "s_excluded": "What is not included",
        "scenario": "Scenario", "seed": "Random seed",
        "replications": "Replications", "version": "Program version (vtsim)",
        "window": "Measurement window (days)", "checksum": "Checksum of the scenario file",
        "year": "Year", "indicator": "Indicator", "value": "Value", "ci": "± 95 % CI",
        "unit": "Unit", "line": "Line",
        "baseline": "Without technology", "technology": "With technology", "saved": "Saved",
        "t_summary": "Key results", "t_gains": "Three kinds of gain, one year at full effect,",
        "t_visits": "Home visits per week by purpose",
        "t_devices": "Home visits saved per week by technology",
        "t_hours": "Home-care working hours per year",
        "t_home_service": "Modelled users as a share of the whole home service",
        "hs_recipients": "Recipients of home services in the municipality",
        "hs_modelled_users": "Modelled users with planned visits",
        "hs_share_users": "Share of the recipients",
        "hs_arsverk": "Home-service årsverk",
        "hs_hours": "Paid home-service hours per year",
        "hs_baseline_hours": "Modelled hours without the technology per year",
        "hs_share_hours": "Share of the home service's hours",
        "hs_ratio": "Hours per modelled user / hours per recipient",
        "hs_share_visits": "Share of the home service's visits",
        "hs_share_direct": "Share of the decided hours (time in homes)",
        "t_quality": "Quality", "t_years": "Simulated years",
        "t_cash_flows": "Cash flow per year (NOK thousand, fixed prices)",
        "t_break_even": "Break-even: how large must the assumption be for a net present value "
                        "of 0?",
        "t_non_priced": "Non-priced effects (plus/minus method)",
        "t_answer_time": "Answer time in the response centre",
        "t_load": "Hourly load in the response centre",
        "t_sensitivity": "Sensitivity: net effect per year with each assumption low and high,",
        "t_assumptions": "Assumptions and sources", "t_run": "About the calculation",
        "npv_net.cash": "Net present value, cash effects after the cost of public funds",
        "npv_net.with_capacity": "Net present value including the value of freed capacity",
        "npv_budget.net": "Net present value for the municipal budget",
        "npv_of": "Net present value", "annualised": "Annualised net effect, cash",
        "visits_saved_week": "Home visits saved per week",
        "hours_saved_year": "Working hours freed per year",
        "arsverk_freed": "Home-care årsverk freed (gross)",
        "arsverk_freed_net": "Årsverk freed (net of the response centre)",
        "answered_60": "Share of alarms answered within 60\u00a0s",
        "gain_cash_hours": "Cash-releasing: hours taken out of the budget per year",
        "gain_cash_nok": "Cash-releasing: costs that disappear per year",
        "gain_capacity_hours": "Freed capacity: hours per year",
        "gain_capacity_arsverk": "Freed capacity and cash together: årsverk",
        "gain_capacity_value": "Freed capacity valued in NOK per year (not cash)",
        "gains_note": "Cash-releasing gains are costs that leave the budget. Freed capacity is "
                      "time that can meet growing demand; its value in NOK is shown only on its "
                      "own line and never added to cash. Quality gains are in the non-priced "
                      "effects and the quality table.",
        "avoided": "Costs that disappear per year", "net": "Net budget effect per year",
        "cf_costs.investment": "Purchase and installation (also reinvestment)",
        "cf_costs.residual_value": "Residual value at the end of the period",
        "cf_costs.one_off": "One-off costs (project, procurement, training)",
        "cf_costs.rent": "Device rent", "cf_costs.licences": "Licences and alarm reception",
        "cf_costs.centre_staff": "Response-centre staffing",
        "cf_costs.total": "Total costs",
        "cf_gains.cash.hours": "Hours taken out of the budget",
        "cf_gains.cash.items": "Other costs that disappear",
        "cf_gains.cash": "Cash-releasing gains in total",
        "cf_budget.net": "Net for the municipal budget",
        "cf_tax_cost": "Cost of public funds (skattekostnad)",
        "cf_net.cash": "Net cash effect",
        "cf_capacity.hours": "Freed capacity (hours)",
        "cf_capacity.value": "Freed capacity valued (not cash)",
        "cf_net.with_capacity": "Net including freed capacity",
        "cf_arsverk.freed_gross": "Årsverk freed (gross)",
        "cf_arsverk.centre": "Response-centre årsverk (with rota factor)",
        "cf_arsverk.freed_net": "Årsverk freed (net)",
        "cf_discount_factor": "Discount factor",
        "cf_note": "Fixed {price_year} kroner. Discount rate {rate} and cost of public funds "
                   "{tax} (Norwegian Ministry of Finance, circular R-109/2021; DFØ, Veileder i "
                   "samfunnsøkonomiske analyser). Hours and årsverk are not kroner.",
        "lever_hourly_cost": "Home-care hourly cost",
        "lever_cash_share": "Share of freed hours taken out of the budget",
        "lever_gain_scale": "Share of the simulated gain realised",
        "lever_operator_hourly_cost": "Operator hourly cost",
        "lever_one_off": "One-off costs in total",
        "t_sensitivity_npv": "Sensitivity of the net present value of the cash effects",
        "npv_low": "NPV at low", "npv_high": "NPV at high",
        "within_range": "Break-even between low and high",
        "sensitivity_npv_note": "One assumption changed at a time over the whole analysis "
                                "period. The break-even is the value giving a net present value "
                                "of zero, found linearly between low and high.",
        "now": "Now", "break_even": "Break-even", "possible": "Possible value",
        "yes": "Yes", "no": "No", "no_impossible": "No (impossible)",
        "no_unrealistic": "No (outside the realistic range)",
        "staffing_operators": "Operators on duty ({shifts})",
        "shift_day": "day", "shift_evening": "evening", "shift_night": "night",
        "staffing_met": "Answer target met in every shift ({share} within {within})",
        "break_even_note": "The break-even is the value giving a net present value of zero, "
                           "all else unchanged; \u201c–\u201d means no value gives zero. A "
                           "share above 100 % is impossible; a cost more than three times, or "
                           "less than a third of, today's is outside the realistic range.",
        "effect": "Effect", "affects": "Affects", "assessment": "Assessment",
        "why": "Reason", "evidence": "Measured in the simulation",
        "non_priced_note": "Scale from ---- (large negative) to ++++ (large positive). These "
                           "effects are not turned into money.",
        "users": "users", "relatives": "relatives", "staff": "staff",
        "municipality": "municipality", "measured": "measured",
        "operator_arsverk": "Response-centre årsverk (with rota factor)",
        "with_tech_arsverk": "Home-care årsverk with the technology (municipal plan less freed)",
        "years_note": "Each simulated year at full effect; ramp-up, reinvestment and "
                      "discounting are in the cash flow.",
        "answer_mean": "Mean answer time",
        "answer_within": "Share of alarms answered within {t}",
        "visit_mean": "Mean time from alarm to a care worker at the home",
        "visit_within": "Share of alarm visits on site within {t}",
        "missed_caught": "Missed doses caught per week",
        "missed_answer": "Answer time of missed doses",
        "missed_visit": "Share of missed doses ending in a visit",
        "gps_found": "People found by GPS per year",
        "gps_time": "Time to find the person with GPS",
        "search_count": "Searches without GPS per year",
        "search_time": "Time to find the person without GPS",
        "answer_bin": "Answer time", "share_of_alarms": "Share of alarms", "hour": "Hour",
        "parameter": "Assumption", "low": "Low", "high": "High",
        "net_low": "Result at low", "net_high": "Result at high", "source": "Source",
        "base_case": "Base case (every assumption as in the scenario)",
        "sensitivity_note": "Net effect per year including freed capacity, one year at full "
                            "effect, one assumption changed at a time.",
        "assumptions_note": "\u201cAssumption\u201d means the number has no public source; "
                            "the reason follows the colon.",
        "devices_note": "Devices in use: {devices}.",
        "arsverk": "Årsverk",
        "travel": "Travel", "on_site": "Time in the home", "key_handling": "Key handling",
        "alarm_answering": "Answering alarms", "search": "Searching for missing persons",
        "alarm": "Visit for an alarm", "total": "Total",
        "safety_alarm": "Safety alarm", "gps_tracker": "GPS tracker",
        "e_lock": "E-lock", "medicine_dispenser": "Medicine dispenser",
        "night_supervision": "Digital night supervision",
        "centre_setup": "Setting up the response centre",
        "dose_missed": "dose missed", "geofence_exit": "outside the safe zone",
        "fall_detected": "fall detected", "bed_exit": "out of bed",
        "button_press": "alarm button pressed",
        "c_answer": "Answer time in the response centre against target",
        "c_answer_x": "Answer time", "c_answer_y": "Share of alarms (%)", "c_target": "target {t}",
        "c_load": "Hourly load against staffing",
        "c_load_x": "Hour of the day", "c_load_y": "Operators",
        "c_busy": "Operators busy (mean)", "c_on_duty": "Operators on duty",
        "c_devices": "Home visits saved per week by technology",
        "c_devices_x": "Visits per week (negative: more visits)",
        "c_cash_flows": "Costs, cash gains and net per year",
        "c_yearly": "Gain per simulated year", "c_yearly_y": "Million NOK",
        "c_tornado": "Sensitivity: net effect per year", "c_tornado_x": "Million NOK per year",
        "c_base": "Base",
        "assumption": "assumption",
        "note_baseline": "Answer and visit times are the response centre's (with technology). "
                         "Without the technology home care answers alarms itself, and that "
                         "answer time is not modelled.",
        "results": "Results", "appendix": "Appendix: details and assumptions",
        "t_uncertainty": "Uncertainty with every uncertain assumption drawn together",
        "outcome_nok.cumulative": "net gain over the plan",
        "outcome_npv.net.cash": "net present value of the cash effects",
        "outcome_npv.net.with_capacity": "net present value including freed capacity",
        "outcome_other": "the result",
        "psa_mean": "Mean", "psa_p10": "P10 (10 % of the draws are lower)",
        "psa_p50": "P50 (median)", "psa_p90": "P90 (90 % of the draws are lower)",
        "psa_p_negative": "Probability of a negative result",
        "psa_n": "Draws", "psa_noise": "Random variation of the simulation",
        "uncertainty_note": "Every assumption with a range in the scenario is drawn from its "
                            "distribution, together with the others and with the simulation's "
                            "own variation (probabilistic sensitivity analysis).",
        "t_ranking": "Which assumptions matter most (Sobol' indices)",
        "sobol_total": "Total index", "sobol_first": "First-order index",
        "ranking_note": "The share of the variation of the result due to the assumption, alone "
                        "(first order) and together with the others (total). Highest total "
                        "index on top.",
        "c_ranking": "Which assumptions matter most", "c_ranking_x": "Total Sobol' index",
        # the terminal summaries of run, check, size, sweep and compare
        "days_short": "days", "time_left": "left",
        "r_alarms": "Alarms by device and event (per day)",
        "r_device_event": "device: event", "r_per_day": "per day", "r_share": "share",
        "r_all_incidents": "all alarms",
        "r_answer": "Answer time (message received → operator answers)",
        "r_figure": "figure", "r_value": "value",
        "r_mean": "mean", "r_median": "median", "r_p90": "90th percentile",
        "r_p99": "99th percentile", "r_waited": "waited at all", "r_within": "within {t}",
        "r_operators": "Operators in the response centre", "r_shift": "shift",
        "r_on_duty": "on duty", "r_utilisation": "utilisation", "r_all": "all",
        "r_visits": "Home visits for alarms",
        "r_response_mean": "on site, mean", "r_response_p90": "on site, 90th pct",
        "r_wait_worker": "waiting for a worker, mean", "r_on_site": "on site within {t}",
        "r_outcomes": "Outcomes (per day)", "r_outcome": "outcome",
        "o_resolved_remotely": "resolved remotely", "o_relatives_called": "relatives called",
        "o_home_visit": "home visit", "o_technical_followup": "technical follow-up",
        "o_emergency_services": "emergency services",
        "r_messages": "Messages (per day)", "r_where": "where",
        "m_incident": "new alarm", "m_correlated": "joined an open alarm",
        "m_duplicate": "duplicate", "m_rejected": "rejected (invalid)", "m_info": "information",
        "m_aggregated": "telemetry (counted only)", "m_all": "all messages",
        "r_plusminus": "Figures are the mean ± the half-width of the 95 % confidence interval "
                       "over {n} replications, each measured from day {first} to day {last} of "
                       "simulated time (the warm-up before is left out). Where the interval "
                       "would go below 0 or above 100 %, its bounds are shown in brackets, "
                       "clipped: 99.9 (99.6–100) %.",
        "r_wrote": "Wrote {files} ({n} replications in {s} s).",
        "r_check_ok": "{file}: OK ({name})",
        "chk_note": "note",
        "chk_profile_implicit": "devices.{kind}: the scenario has no settings; the shipped "
                                "profile '{profile}' applies ({where})",
        "chk_profile_changed": "devices.{kind}: shipped profile '{profile}' with the "
                               "scenario's changes",
        "chk_profile_unchanged": "devices.{kind}: shipped profile '{profile}', unchanged",
        "chk_benefit": "benefit: {users} modelled home-care users of {recipients} recipients; "
                       "their planned visits need ~{hours} staff hours a year, {share} of the "
                       "home service's {paid} paid hours in {year} (alarms and searches add to "
                       "it in compare)",
        "r_warning": "warning", "r_error": "error",
        "r_long_run": "a horizon of {days} days: about {events} simulated messages in {n} "
                      "replication(s); expect about {gb} GB of memory and {time} on "
                      "{processes} process(es) (measured on a machine as in "
                      "docs/performance.md). A year (horizon: 365d) gives stable yearly "
                      "figures; --log-format none saves most of the memory.",
        "sw_title": "Sweep: target attainment and key figures",
        "sw_answer_mean": "answer mean", "sw_busy": "operators busy",
        "sw_point": "point", "sw_target": "target", "sw_share": "share",
        "sw_points": "{points} points x {n} replications, seed {seed}",
        "sw_running": "Running on {backend}.", "sw_bar": "sweep",
        "sw_wrote": "Wrote {files} and {jsonl}.", "r_wrote_files": "Wrote {files}.",
        "sw_plusminus": "Share: alarms answered (answer) or visited (visit) within the time. ± "
                        "is the half-width of the 95 % confidence interval over {n} "
                        "replications per point.",
        "sz_bar": "sizing {year}",
        "sz_title": "{year}: {users} users, {incidents} incidents a day ({points} staffings "
                    "simulated)",
        "sz_dimension": "shift / zone", "sz_simulated": "simulated",
        "sz_attainment": "attainment (mean, {c} lower bound)", "sz_why": "why they differ",
        "sz_operators": "operators", "sz_field": "field staff",
        "sz_not_met": "not met", "sz_no_events": "no events",
        "sz_intro": "Sizing {name} ({file}) for: {targets}",
        "sz_rule": "A target is met when the lower end of the {c} confidence interval of its "
                   "share, over {n} replications, reaches it, for every shift (incidents "
                   "received while it is on duty) and every zone.",
        "sz_two": "Never fewer than two operators on duty (Helsedirektoratet IS-2552).",
        "sz_growth": "User counts grow {rate} a year ({source}).",
        "sz_as_given": "as given",
        "cmp_year": "{year}: visits saved {visits}/week, {hours} h/yr, årsverk freed {gross} "
                    "gross, {net} net of the centre; budget {nok}/yr",
        "cmp_year_cost": "{year}: visits saved {visits}/week, {hours} h/yr, årsverk freed "
                         "{gross} gross, but the centre costs {net} årsverk net; budget "
                         "{nok}/yr",
        "cmp_npv": "NPV {first}-{last} at {rate}, {name}: {value}",
        "cmp_npv_cash": "cash only (headline)",
        "cmp_npv_capacity": "including the value of freed capacity (not cash)",
        "cmp_staffing": "{year}: operators {shifts} ({source}); {target}: {met}",
        "cmp_met": "met", "cmp_not_met": "NOT met in {shifts}",
        "cmp_psa": "Uncertainty ({n} draws of {k} assumptions and the replication): net present "
                   "value ({line}) P10 {p10}, P50 {p50}, P90 {p90}; P(negative) {neg}",
        "cmp_psa_top": "Most influential (total Sobol' index): {top}",
        "cmp_line_cash": "cash", "cmp_line_capacity": "with freed capacity",
        "cmp_wrote": "Wrote {out}/metrics.json, data/replications.csv, scenario.resolved.yaml "
                     "({n} replications x {years} year(s) in {s} s). Next: vtsim report {out} "
                     "--lang en --format html",
        "cmp_plusminus": "± is the half-width of the 95 % confidence interval over {n} "
                         "replications a year.",
        "cmp_no_sensitivity": "No probabilistic sensitivity analysis (PSA) or tornado chart: the "
                              "scenario has no benefit.sensitivity (docs/scenario.md, section "
                              "15).",
        "cmp_no_psa": "No probabilistic sensitivity analysis (PSA): --psa-samples 0.",
        "cmp_both_arms": "{name}: both arms",
        "cmp_sizing": "{year}: sizing the centre for {target} ({n} replications per staffing "
                      "tried; give --staffing or record benefit.economics.staffing to skip "
                      "this)",
        "cmp_modelled": "{year}: the modelled users ({users} of {recipients} recipients) account "
                        "for {share} of the home service's paid hours",
        "cmp_not_plausible": "The results were written for inspection, but the baseline is not "
                             "plausible against the municipality's home care:",
        "st_given": "given", "st_scenario": "scenario", "st_cache": "cache",
        "st_search": "search", "st_as written": "as written",
        "wrote": "Wrote {path}",
        "why_unreachable_ci": "not met with confidence at {n}: the mean reaches the target "
                              "but the lower bound does not, and more staff no longer changes "
                              "the share; run more replications (or a longer horizon) to "
                              "narrow the interval",
        "why_unreachable_shift": "not met even with {n}: more staff does not help enough; "
                                 "check handling times and the target",
        "why_unreachable_zone": "not met even with {n}: more staff does not help enough; "
                                "travel time and assessment before dispatch use up the target",
        "why_floor": "the IS-2552 floor of {floor} binds (Erlang C needs {analytic})",
        "why_agrees_shift": "agrees with Erlang C per hour",
        "why_fewer_shift": "fewer than Erlang C: it sizes each hour for itself (peak {peak}:00 "
                           "needs {analytic}); simulated, a short peak's queue drains in the "
                           "shift's quieter hours and the target is over the whole shift",
        "why_more_shift": "more than Erlang C: {parts}",
        "why_bursts": "scheduled alarms arriving together (dispensers at {hours}:xx), not "
                      "Poisson",
        "why_repeats": "repeated alarms while waiting",
        "why_lower_bound": "the lower CI bound, not the mean, must reach the target",
        "why_zone_no_estimate": "Erlang C gives no estimate: assessment (~{delay}) and mean "
                                "travel use up the target",
        "why_agrees_zone": "agrees with Erlang C on the mean travel time",
        "why_zone_floor": "one field worker is the least a zone has",
        "why_more_zone": "more than Erlang C: visits start after the answer and assessment "
                         "(~{delay}), travel time varies around its mean, and visits cluster "
                         "in time",
        "why_fewer_zone": "fewer than Erlang C: it sizes the peak hour ({peak}:00) as if it "
                          "lasted; visits are few, a worker is seldom still out when the next "
                          "alarm comes, and the target is over the whole day",
        "sheet_summary": "summary", "sheet_gains": "gains", "sheet_cash_flows": "cash_flows",
        "sheet_break_even": "break_even", "sheet_non_priced": "non_priced",
        "sheet_visits": "visits", "sheet_devices": "devices", "sheet_hours": "hours",
        "sheet_home_service": "home_service", "sheet_quality": "quality",
        "sheet_answer_time": "answer_time", "sheet_load": "load", "sheet_years": "years",
        "sheet_sensitivity": "sensitivity", "sheet_sensitivity_npv": "sensitivity_npv",
        "sheet_uncertainty": "uncertainty", "sheet_ranking": "ranking",
        "sheet_assumptions": "assumptions", "sheet_run": "run",
        "sheet_follow_up_centre": "follow_up_centre", "sheet_figures": "figures",
        "init_summary": "{name}: {devices} devices in {groups} user groups, {zones} zone(s); "
                        "operators per shift {shifts}",
        "init_wrote": "Wrote {path}. Next: vtsim check {path}; vtsim run {path} --out {out}",
        "d_safety_alarm": "safety alarm", "d_gps_tracker": "GPS tracker",
        "d_e_lock": "e-lock", "d_medicine_dispenser": "medicine dispenser",
        "d_night_supervision": "night supervision",
        "ev_safety_alarm.button_need": "button, needs help",
        "ev_safety_alarm.button_accidental": "button pressed by mistake",
        "ev_safety_alarm.button_information": "button, has a question",
        "ev_safety_alarm.fall_detected": "fall detected",
        "ev_safety_alarm.heartbeat": "heartbeat", "ev_safety_alarm.battery_low": "battery low",
        "ev_safety_alarm.connection_lost": "connection lost",
        "ev_gps_tracker.geofence_exit": "left the safe zone", "ev_gps_tracker.sos": "SOS button",
        "ev_gps_tracker.position": "position", "ev_gps_tracker.battery_low": "battery low",
        "ev_e_lock.unlocked_by_staff": "unlocked by staff",
        "ev_e_lock.locked_by_staff": "locked by staff",
        "ev_e_lock.door_open_too_long": "door open too long",
        "ev_e_lock.jammed": "lock jammed", "ev_e_lock.battery_low": "battery low",
        "ev_e_lock.night_door_opened": "door opened at night",
        "ev_medicine_dispenser.dose_taken": "dose taken",
        "ev_medicine_dispenser.dose_missed": "dose missed",
        "ev_medicine_dispenser.reminder": "reminder",
        "ev_medicine_dispenser.jammed": "dispenser jammed",
        "ev_medicine_dispenser.empty": "empty", "ev_medicine_dispenser.refill_due": "refill due",
        "ev_night_supervision.bed_exit_no_return": "out of bed, not back",
        "ev_night_supervision.fall": "fall", "ev_night_supervision.check_ok": "check OK",
        # the terminal summaries of a region (members sharing one centre)
        "g_intro": "{name}: {n} members sharing one centre ({per_day} incidents a day)",
        "g_shared_operators": "Shared centre: operators",
        "g_members": "Members (each member's own alarms and visits)",
        "g_region": "region", "g_figure": "figure",
        "g_incidents_day": "incidents per day", "g_answer_mean": "answer, mean",
        "g_answer_p90": "answer, 90th pct", "g_within": "answered within {t}",
        "g_visits_day": "visits per day", "g_visit_mean": "visit response, mean",
        "g_on_site": "on site within {t}", "g_operator_hours": "operator hours per day",
        "g_operator_share": "operator time, share",
        "g_cost_sharing": "Cost sharing (NOK thousand a year; gain = own centre less the share)",
        "g_member_key": "member / key", "g_own": "own centre",
        "g_share": "share {what}", "g_gain": "gain {what}",
        "g_key_inhabitants": "per inhabitant", "g_key_devices": "per device",
        "g_key_alarms": "per alarm", "g_key_operator_minutes": "per operator-minute",
        "g_key_fixed_variable": "fixed + variable",
        "g_models": "Organisation models: {name} (mean ± 95 % CI; Δ = paired difference from "
                    "the own centre)",
        "g_m_own": "own centre", "g_m_shared": "shared centre",
        "g_m_direct": "direct (home care)", "g_m_purchased": "purchased",
        "g_contract": "(contract)", "g_arsverk": "årsverk (own staff answering)",
        "g_cost": "cost a year, NOK thousand", "g_d_cost": "Δ cost",
        "g_npv": "net present value {first}–{last}, NOK thousand", "g_d_npv": "Δ net present value",
        "g_wrote": "Wrote {out}/metrics.json, region.resolved.yaml, member.*.resolved.yaml{log} "
                   "({n} replications in {s} s).",
        "g_models_bar": "organisation models",
        "g_check_ok": "{file}: OK ({name}, {n} members: {members})",
        "g_sizing_intro": "Sizing {name}: {n} members, {targets} for every member on every "
                          "shift; Erlang C start {start}; {days}-day replications, at most "
                          "{most}, confidence {c}.",
        "g_sizing": "Shared centre sizing: {name}",
        "g_erlang": "Erlang C", "g_chosen": "chosen", "g_binding": "binding member",
        "g_why": "why",
        "g_attainment": "Each member at the chosen staffing (share within target, mean and "
                        "interval)",
        "g_member": "member",
        "g_alone": "Erlang C per hour, each member with its own centre on the same shifts: "
                   "{alone} — together {together}, against {erlang} shared (Erlang C) and "
                   "{chosen} shared (simulated).",
        "g_cost_line": "{staffings} staffings, {replications} replications ({incidents} "
                       "incidents, {years} region-years simulated) in {wall} ({cpu} "
                       "processor-seconds)",
        "g_wrote_sizing": "Wrote {path}",
        "g_r_unreachable": "not met with confidence even at {n}: check the members' handling "
                           "times and the target",
        "g_r_floor": "the IS-2552 floor of {n} binds",
        "g_r_least": "{member} has the least margin",
        "g_r_binds": "{member} binds: with {n} its share within {t} is {mean} (interval "
                     "{interval}), {short}",
        "g_r_short": "short of {share}", "g_r_not_shown": "not shown to reach {share}",
        "g_r_on_mean": "; judged on the mean after {n} replications, the interval still too "
                       "wide: {members}",
    },
}


def text(lang: str, key: str, **values: str) -> str:
    """A phrase in the language, with ``{placeholders}`` filled in."""
    return TEXT[lang][key].format(**values) if values else TEXT[lang][key]


def label(lang: str, key: str) -> str:
    """A phrase if the key is known, else the key itself (a scenario's own name)."""
    return TEXT[lang].get(key, key)


NORWEGIAN_LOCALES = ("nb", "nn", "no")
"""Locale names (``nb_NO.UTF-8``, ``nn_NO``, ``no_NO``) that get Bokmål on the terminal."""


def lang_from_locale(environ: Mapping[str, str]) -> Lang:
    """Bokmål when the locale (``LC_ALL``, else ``LC_MESSAGES``, else ``LANG``) is Norwegian,
    else English."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = environ.get(name, "")
        if value:
            return "nb" if value.lower().startswith(NORWEGIAN_LOCALES) else "en"
    return "en"


def device_name(lang: str, kind: str) -> str:
    """A device kind as a person says it (``trygghetsalarm``); unknown kinds as written."""
    return TEXT[lang].get(f"d_{kind}", kind.replace("_", " "))


def event_name(lang: str, kind: str, event: str) -> str:
    """An event of a device kind as a person says it (``glemt dose``)."""
    return TEXT[lang].get(f"ev_{kind}.{event}", event.replace("_", " "))


def undefined(value: float | None) -> bool:
    """Whether a figure has no value (not defined in any replication)."""
    return value is None or math.isnan(value)


class Explained(Protocol):
    """A sizing reason (:class:`sim.analysis.sizing.Reason`): a key and named values."""

    @property
    def key(self) -> str: ...

    def get(self, name: str) -> str: ...


def reason_text(found: Explained, lang: str) -> str:
    """Why a shift's or zone's staffing differs from Erlang C, in the user's language."""
    if found.key == "more_shift":
        parts = []
        if found.get("hours"):
            parts.append(text(lang, "why_bursts", hours=found.get("hours")))
        if found.get("repeats"):
            parts.append(text(lang, "why_repeats"))
        parts.append(text(lang, "why_lower_bound"))
        return text(lang, "why_more_shift", parts="; ".join(parts))
    names = ("n", "floor", "analytic", "peak", "delay")
    return text(lang, f"why_{found.key}", **{n: found.get(n) for n in names})


def format_number(value: float | None, lang: str, decimals: int = 1) -> str:
    """A number with the language's grouping (a no-break space in Bokmål) and decimal mark;
    "–" when undefined. A value that rounds to zero is ``0``, never ``-0``."""
    if value is None or math.isnan(value):
        return "–"
    if round(value, decimals) == 0:
        value = 0.0
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return str(format_decimal(value, format=pattern, locale=LOCALES[lang]))


def format_nok(value: float | None, lang: str) -> str:
    """Whole kroner: ``1 234 567 kr`` (nb) or ``NOK 1,234,567`` (en)."""
    if value is None or math.isnan(value):
        return "–"
    number = format_number(value, lang, 0)
    return f"{number}\u00a0kr" if lang == "nb" else f"NOK\u00a0{number}"


def format_million_nok(value: float | None, lang: str, decimals: int = 1) -> str:
    """Million kroner: ``9,3 mill. kr`` (nb) or ``NOK 9.3 million`` (en)."""
    if value is None or math.isnan(value):
        return "–"
    number = format_number(value / 1e6, lang, decimals)
    return f"{number}\u00a0mill.\u00a0kr" if lang == "nb" else f"NOK\u00a0{number}\u00a0million"


def format_share(value: float | None, lang: str, decimals: int = 1) -> str:
    """A share as a percentage: ``93,4 %``; whole shares lose their decimals (``6 %``)."""
    if value is None or math.isnan(value):
        return "–"
    percent = value * 100
    places = 0 if abs(percent - round(percent)) < 1e-9 else decimals
    return f"{format_number(percent, lang, places)}\u00a0%"


def format_year(value: float | None) -> str:
    """A calendar year as written: ``2026`` (never grouped, never with decimals)."""
    if value is None or math.isnan(value):
        return "–"
    return str(round(value))


def format_seconds(seconds: float, lang: str) -> str:
    """A duration in the unit a reader expects: ``60 s``, ``45 min``, ``2 t`` (``2 h``)."""
    if seconds < SHORT_S:
        return f"{format_number(seconds, lang, 0)}\u00a0s"
    if seconds < LONG_S:
        return f"{format_number(seconds / 60, lang, 0)}\u00a0min"
    hour = "t" if lang == "nb" else "h"
    return f"{format_number(seconds / 3600, lang, 1)}\u00a0{hour}"


SHORT_S = 300.0
"""Durations shorter than this are written in seconds (answer targets: 20 s, 60 s, 180 s)."""
LONG_S = 3 * 3600.0
"""Durations from SHORT_S up to this are written in minutes (visit targets: 45 min, 60 min)."""

UNIT_SUFFIX: dict[str, dict[str, str]] = {
    "s": {"nb": "s", "en": "s"},
    "min": {"nb": "min", "en": "min"},
    "h": {"nb": "t", "en": "h"},
}
"""Units written after the number in a figure cell."""


def format_value(value: float | None, unit: str, lang: str) -> str:
    """A figure formatted by its unit: whole kroner, shares in per cent, years as written,
    counts and hours whole, seconds and minutes with their unit."""
    if unit in ("NOK", "NOK/yr"):
        return format_nok(value, lang)
    if unit == "share":
        return format_share(value, lang)
    if unit == "year":
        return format_year(value)
    if unit in ("h/yr", "1/yr", "h", "count"):
        return format_number(value, lang, 0)
    if unit == "yr":
        return format_number(value, lang, 1)
    if unit == "kNOK":
        return "–" if value is None or undefined(value) else format_number(value / 1000, lang, 0)
    if unit == "factor":
        return format_number(value, lang, 3)
    if unit == "index":
        return format_number(value, lang, 2)
    if unit == "NOK/h":
        return format_nok(value, lang)
    if unit in UNIT_SUFFIX and not undefined(value):
        return f"{format_number(value, lang, 1)}\u00a0{UNIT_SUFFIX[unit][lang]}"
    return format_number(value, lang, 1)
