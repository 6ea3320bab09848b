"""Realistic municipal remissvar, written for the import corpus.

Each letter is the text of a Word file as a municipality would have written it (letterhead,
address block, reference lines, title, sections, signature), with what the import must make of
it: the sections (heading and a few passages each body must hold), the front matter it must
drop, and the remiss fields it should recognise.  `python -m tests.corpus.build` writes
sources/<name>.fodt and lets LibreOffice make docx/<name>.docx from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Letter:
    name: str
    blocks: list[tuple]
    sections: list[tuple[str, list[str]]]  # (heading, passages its Markdown body contains)
    dropped: list[str]  # text that must be in no section (front matter, signature)
    reference: str = ""  # the ministry's diarienummer, if the letter names it
    our_reference: str = ""
    date: str = ""
    recipient: str = ""
    header: list[str] = field(default_factory=list)  # letterhead in the page header


SIGN_LUND = [
    ("p", "Lunds kommun"),
    ("empty",),
    ("p", "Philip Sandberg\nKommunstyrelsens ordförande"),
    ("p", "Pontus Kjellström\nKommundirektör"),
]

LETTERS: list[Letter] = [
    Letter(
        name="01_lund_starkare_kommuner",
        blocks=[
            ("table", [["LUNDS KOMMUN\n\nKommunkontoret", "YTTRANDE\n\n2020-09-30"]]),
            ("empty",),
            ("p", "Finansdepartementet\n103 33 Stockholm"),
            ("p", "Er referens: Fi2020/00647/K\nVår referens: KS 2020/0312"),
            ("title", "Yttrande över Starkare kommuner – med kapacitet att klara välfärdsuppdraget (SOU 2020:8)"),
            ("h", 1, "Sammanfattning"),
            ("p", "Lunds kommun delar utredningens bild av att kommunerna står inför stora utmaningar. "
                  "Kommunen **tillstyrker** förslaget om ett riktat statligt stöd till frivilliga sammanläggningar, "
                  "men **avstyrker** förslaget att staten ska kunna besluta om indelningsändringar utan kommunernas medgivande."),
            ("h", 1, "20.1 Förslag om stöd till kommunsammanläggningar"),
            ("h", 2, "20.1.1 Riktat stöd"),
            ("p", "Kommunen ser positivt på ett tidsbegränsat stöd((Se SOU 2020:8, avsnitt 20.1, s. 612.)) som täcker "
                  "omställningskostnaderna vid en sammanläggning."),
            ("h", 2, "20.1.2 Utformningen av stödet"),
            ("p", "Stödet bör utformas så att även samarbeten mellan kommuner kan få del av det."),
            ("h", 1, "20.2 Förslag om mellankommunal samverkan"),
            ("p", "Lunds kommun har lång erfarenhet av samverkan inom MalmöLundregionen och vill understryka att "
                  "samverkan är ett bättre verktyg än tvång."),
            *SIGN_LUND,
        ],
        sections=[
            ("Sammanfattning", ["**tillstyrker**", "**avstyrker**"]),
            ("20.1 Förslag om stöd till kommunsammanläggningar",
             ["# 20.1.1 Riktat stöd", "# 20.1.2 Utformningen av stödet", "[^1]", "[^1]: Se SOU 2020:8"]),
            ("20.2 Förslag om mellankommunal samverkan", ["samverkan är ett bättre verktyg än tvång."]),
        ],
        dropped=["LUNDS KOMMUN", "Finansdepartementet", "103 33 Stockholm", "Er referens", "Yttrande över",
                 "Philip Sandberg", "Kommundirektör"],
        reference="Fi2020/00647/K", our_reference="KS 2020/0312", date="2020-09-30",
        recipient="Finansdepartementet",
    ),
    Letter(
        name="02_malmo_huvud_ensam_rubrik",
        header=["Malmö stad", "Stadskontoret"],
        blocks=[
            ("p", "Infrastrukturdepartementet\ni.remissvar@regeringskansliet.se"),
            ("p", "Datum: 2024-04-12"),
            ("p", "Er beteckning: I2024/00321"),
            ("p", "Vår beteckning: STK-2024-118"),
            ("h", 1, "Remissvar – Nationell plan för transportinfrastrukturen 2026–2037"),
            ("h", 2, "Inledning"),
            ("p", "Malmö stad har beretts möjlighet att yttra sig över förslaget och lämnar följande synpunkter."),
            ("h", 2, "Övergripande synpunkter"),
            ("p", "Staden vill särskilt lyfta fram vad Trafikverket självt skriver i förslaget:"),
            ("quote", "Investeringar i kapacitet på de storstadsnära banorna ger den största samhällsnyttan per satsad krona."),
            ("p", "Malmö stad instämmer i denna slutsats."),
            ("h", 2, "Särskilda synpunkter"),
            ("ul", ["Utbyggnaden av Södra stambanan bör prioriteras.", "Malmö–Lund fyrspår behöver färdigställas."]),
            ("p", "Med vänlig hälsning"),
            ("p", "Katrin Stjernfeldt Jammeh\nKommunstyrelsens ordförande"),
        ],
        sections=[
            ("Inledning", ["beretts möjlighet att yttra sig"]),
            ("Övergripande synpunkter", ["> Investeringar i kapacitet", "instämmer i denna slutsats."]),
            ("Särskilda synpunkter", ["- Utbyggnaden av Södra stambanan", "- Malmö–Lund fyrspår"]),
        ],
        dropped=["Infrastrukturdepartementet", "Datum:", "Er beteckning", "Remissvar – Nationell plan",
                 "Med vänlig hälsning", "Katrin Stjernfeldt Jammeh"],
        reference="I2024/00321", our_reference="STK-2024-118", date="2024-04-12",
        recipient="Infrastrukturdepartementet",
    ),
    Letter(
        name="03_region_skane_inledande_stycke",
        blocks=[
            ("table", [["Region Skåne", "Regionstyrelsen"], ["Datum 2023-11-02", "Dnr 2023-RS/1744"]]),
            ("p", "Socialdepartementet"),
            ("title", "Yttrande över Ds 2023:19 Hälso- och sjukvårdens beredskap"),
            ("p", "Region Skåne har tagit del av promemorian och lämnar här sitt yttrande. Regionen ställer sig "
                  "i huvudsak bakom förslagen."),
            ("h", 1, "Synpunkter på förslagen"),
            ("p", "Regionens kostnader för beredskapslager framgår av tabellen."),
            ("table", [["År", "Kostnad (mnkr)"], ["2024", "42"], ["2025", "57"]]),
            ("p", "Regionen föreslår följande ändringar:"),
            ("ol", [("Lagerhållningen ska finansieras av staten.", ["Även för läkemedel.", "Även för sjukvårdsmaterial."]),
                    "Övergångstiden förlängs till 2028."]),
            ("h", 1, "Konsekvenser"),
            ("p", "Förslagen innebär ökade kostnader för regionerna."),
            ("table", [["Samlad bedömning: förslagen tillstyrks med ändringar."]]),
        ],
        sections=[
            ("", ["Region Skåne har tagit del av promemorian", "i huvudsak bakom förslagen."]),
            ("Synpunkter på förslagen", ["| År | Kostnad (mnkr) |", "| 2025 | 57 |", "1. Lagerhållningen",
                                         "    1. Även för läkemedel.", "2. Övergångstiden" if False else "1. Övergångstiden"]),
            ("Konsekvenser", ["ökade kostnader", "| Samlad bedömning: förslagen tillstyrks med ändringar. |"]),
        ],
        dropped=["Regionstyrelsen", "Dnr 2023-RS/1744", "Socialdepartementet", "Yttrande över Ds 2023:19"],
        our_reference="2023-RS/1744", date="2023-11-02", recipient="Socialdepartementet",
    ),
    Letter(
        name="04_eslov_rubrik1_titel",
        blocks=[
            ("p", "Eslövs kommun\nKommunstyrelsen"),
            ("p", "Miljödepartementet\n103 33 Stockholm"),
            ("p", "Ert dnr: M2022/01655\nVårt dnr: KS.2022.0401\nDatum: 2022-12-15"),
            ("h", 1, "Yttrande över Miljöprövningsutredningens betänkande (SOU 2022:33)"),
            ("h", 1, "Sammanfattning"),
            ("p", "Eslövs kommun välkomnar en snabbare och mer förutsebar miljöprövning."),
            ("h", 1, "Synpunkter"),
            ("h", 2, "Kapitel 5 Ändringstillstånd"),
            ("p", "Kommunen tillstyrker förslaget."),
            ("h", 2, "Kapitel 7 Tillsyn"),
            ("p", "Kommunen har *inga synpunkter* på förslaget."),
            ("p", "Eslövs kommun"),
            ("p", "Johan Andersson\nKommunstyrelsens ordförande"),
        ],
        sections=[
            ("Sammanfattning", ["snabbare och mer förutsebar"]),
            ("Synpunkter", ["# Kapitel 5 Ändringstillstånd", "# Kapitel 7 Tillsyn", "*inga synpunkter*"]),
        ],
        dropped=["Miljödepartementet", "Ert dnr", "Yttrande över Miljöprövningsutredningens", "Johan Andersson"],
        reference="M2022/01655", our_reference="KS.2022.0401", date="2022-12-15", recipient="Miljödepartementet",
    ),
    Letter(
        name="05_trelleborg_sparade_andringar",
        blocks=[
            ("table", [["TRELLEBORGS KOMMUN", "Kommunledningsförvaltningen"]]),
            ("p", "Näringsdepartementet"),
            ("p", "Diarienummer: N2023/00998"),
            ("title", "Remissvar: Ett nationellt mål för bostadsbyggandet"),
            ("h", 1, "Trelleborgs kommuns ställningstagande"),
            ("p", "Trelleborgs kommun {+tillstyrker+}{-avstyrker-} förslaget om ett nationellt mål."),
            ("h", 1, "Motivering"),
            ("p", "Målet ger kommunerna {-ett otydligt -}{+ett tydligt +}stöd i planeringen."),
        ],
        sections=[
            ("Trelleborgs kommuns ställningstagande", ["Trelleborgs kommun tillstyrker förslaget"]),
            ("Motivering", ["Målet ger kommunerna ett tydligt stöd i planeringen."]),
        ],
        dropped=["TRELLEBORGS KOMMUN", "Näringsdepartementet", "Diarienummer", "avstyrker", "otydligt",
                 "Remissvar: Ett nationellt"],
        reference="N2023/00998", recipient="Näringsdepartementet",
    ),
    Letter(
        name="06_kavlinge_kommentarer",
        header=["Kävlinge kommun", "Kommunstyrelsen"],
        blocks=[
            ("p", "Justitiedepartementet\n103 33 Stockholm"),
            ("table", [["Datum", "Er referens", "Vår referens"], ["2024-01-20", "Ju2023/02244", "KS 2023/771"]]),
            ("title", "Yttrande över Skärpta straff för brott i kriminella nätverk (SOU 2023:40)"),
            ("h", 1, "Sammanfattning"),
            ("p", "Kävlinge kommun tillstyrker{!Stämmer detta med KS beslut?!} förslagen i betänkandet."),
            ("h", 1, "Kommunens synpunkter"),
            ("p", "Kommunen vill betona det förebyggande arbetet{!Lägg till exempel från Furulund.!} i skolan."),
        ],
        sections=[
            ("Sammanfattning", ["Kävlinge kommun tillstyrker förslagen i betänkandet."]),
            ("Kommunens synpunkter", ["det förebyggande arbetet i skolan."]),
        ],
        dropped=["Justitiedepartementet", "Ju2023/02244", "Stämmer detta med KS beslut", "Furulund",
                 "Yttrande över Skärpta straff"],
        reference="Ju2023/02244", our_reference="KS 2023/771", date="2024-01-20", recipient="Justitiedepartementet",
    ),
    Letter(
        name="07_hoor_indrag_numrerade",
        blocks=[
            ("p", "HÖÖRS KOMMUN"),
            ("p", "Kommunledningskontoret"),
            ("p", "2021-06-01"),
            ("p", "Dnr KS 2021/145"),
            ("p", "Utbildningsdepartementet"),
            ("title", "Yttrande – Promemorian Gymnasieskolans dimensionering (U2021/02151)"),
            ("h", 1, "1 Inledning"),
            ("p", "Höörs kommun har inga egna gymnasieskolor men berörs av förslagen genom det fria söket."),
            ("h", 1, "2 Synpunkter"),
            ("h", 2, "2.1 Regional planering"),
            ("p", "Promemorian anger:"),
            ("indent", "Huvudmännen ska samverka regionalt om planering och dimensionering av utbildningen."),
            ("p", "Kommunen instämmer, men vill att de mindre kommunernas röst säkras."),
            ("h", 2, "2.2 Ikraftträdande"),
            ("p", "Kommunen har inga synpunkter på tidpunkten."),
        ],
        sections=[
            ("1 Inledning", ["inga egna gymnasieskolor"]),
            ("2 Synpunkter", ["# 2.1 Regional planering", "> Huvudmännen ska samverka regionalt",
                              "# 2.2 Ikraftträdande"]),
        ],
        dropped=["HÖÖRS KOMMUN", "Kommunledningskontoret", "Dnr KS 2021/145", "Utbildningsdepartementet",
                 "Yttrande – Promemorian"],
        reference="U2021/02151", our_reference="KS 2021/145", date="2021-06-01", recipient="Utbildningsdepartementet",
    ),
    Letter(
        name="08_lomma_tabeller_listor",
        blocks=[
            ("table", [["Lomma kommun\n\nKommunstyrelsen", "Datum: 2022-03-09\n\nDnr: KS 2022/88"]]),
            ("p", "Boverket\nBox 534\n371 23 Karlskrona"),
            ("title", "Yttrande över Boverkets förslag till nya byggregler (dnr 2021/1234)"),
            ("h", 1, "Allmänna synpunkter"),
            ("p", "Lomma kommun ser positivt på en förenkling av byggreglerna, se även "
                  "[[https://www.boverket.se/byggregler|Boverkets webbplats]]."),
            ("ul", [("Reglerna blir färre.", ["Men kraven på tillgänglighet får inte sänkas."]),
                    "Övergångsperioden är rimlig."]),
            ("h", 1, "Synpunkter per avsnitt"),
            ("table", [["Avsnitt", "Synpunkt", "Ställningstagande"],
                       ["3:1 Tillgänglighet", "Nivåerna bör behållas.", "Avstyrker"],
                       ["6:2 Energi", "Rimliga krav.", "Tillstyrker"]]),
        ],
        sections=[
            ("Allmänna synpunkter", ["[Boverkets webbplats](https://www.boverket.se/byggregler)",
                                     "- Reglerna blir färre.", "    - Men kraven på tillgänglighet"]),
            ("Synpunkter per avsnitt", ["| Avsnitt | Synpunkt | Ställningstagande |",
                                        "| 6:2 Energi | Rimliga krav. | Tillstyrker |"]),
        ],
        dropped=["Box 534", "371 23 Karlskrona", "Dnr: KS 2022/88", "Yttrande över Boverkets förslag"],
        reference="2021/1234", our_reference="KS 2022/88", date="2022-03-09", recipient="Boverket",
    ),
    Letter(
        name="09_vellinge_rubrik2_3",
        header=["Vellinge kommun"],
        blocks=[
            ("table", [["Kommunstyrelsen", "2023-05-17"]]),
            ("p", "Kulturdepartementet"),
            ("p", "Er ref: Ku2023/00412"),
            ("h", 2, "Yttrande över betänkandet Ett stärkt skydd för kulturmiljön (SOU 2023:5)"),
            ("h", 3, "Sammanfattning"),
            ("p", "Vellinge kommun avstyrker förslaget om utökad statlig prövning."),
            ("h", 3, "Kommunens synpunkter"),
            ("p", "Kommunen anser att den kommunala planeringen redan ger ett gott skydd."),
            ("p", "Vellinge kommun"),
            ("p", "Carina Wutzler\nKommunstyrelsens ordförande"),
        ],
        sections=[
            ("Sammanfattning", ["avstyrker förslaget om utökad statlig prövning."]),
            ("Kommunens synpunkter", ["redan ger ett gott skydd."]),
        ],
        dropped=["Kulturdepartementet", "Er ref", "Yttrande över betänkandet", "Carina Wutzler"],
        reference="Ku2023/00412", date="2023-05-17", recipient="Kulturdepartementet",
    ),
    Letter(
        name="10_staffanstorp_fotnoter",
        blocks=[
            ("p", "Staffanstorps kommun"),
            ("p", "Arbetsmarknadsdepartementet"),
            ("table", [["Dnr", "KS 2024/123"], ["Datum", "2024-05-02"], ["Er beteckning", "A2024/00077"]]),
            ("title", "Yttrande över En reformerad arbetsmarknadspolitik (Ds 2024:3)"),
            ("subtitle", "Remissvar från Staffanstorps kommun"),
            ("h", 1, "Bakgrund"),
            ("p", "Antalet långtidsarbetslösa i kommunen har minskat((Kommunens årsredovisning 2023, s. 14.)) "
                  "men är fortfarande högt jämfört med riket((SCB, Arbetskraftsundersökningarna 2023.))."),
            ("h", 1, "Synpunkter"),
            ("p", "Kommunen tillstyrker att kommunerna får ett tydligare uppdrag((Jämför prop. 2022/23:1 utg.omr. 14.))."),
        ],
        sections=[
            ("Bakgrund", ["har minskat[^1]", "riket[^2]", "[^1]: Kommunens årsredovisning 2023, s. 14.",
                          "[^2]: SCB, Arbetskraftsundersökningarna 2023."]),
            ("Synpunkter", ["tydligare uppdrag[^1].", "[^1]: Jämför prop. 2022/23:1"]),
        ],
        dropped=["Arbetsmarknadsdepartementet", "KS 2024/123", "A2024/00077", "Remissvar från Staffanstorps",
                 "Yttrande över En reformerad"],
        reference="A2024/00077", our_reference="KS 2024/123", date="2024-05-02",
        recipient="Arbetsmarknadsdepartementet",
    ),
    Letter(
        name="11_burlov_kort_utan_rubriker",
        blocks=[
            ("p", "Burlövs kommun\nKommunstyrelsen"),
            ("p", "Landsbygds- och infrastrukturdepartementet"),
            ("p", "Er beteckning LI2023/03321"),
            ("title", "Yttrande över Ds 2023:25 Sjöfartens miljöpåverkan"),
            ("p", "Burlövs kommun har inga synpunkter på förslagen i promemorian."),
            ("p", "Burlövs kommun"),
            ("p", "Lars Hansson\nKommunstyrelsens ordförande"),
        ],
        sections=[("", ["Burlövs kommun har inga synpunkter på förslagen i promemorian."])],
        dropped=["Landsbygds- och infrastrukturdepartementet", "LI2023/03321", "Yttrande över Ds 2023:25",
                 "Lars Hansson"],
        reference="LI2023/03321", recipient="Landsbygds- och infrastrukturdepartementet",
    ),
]
