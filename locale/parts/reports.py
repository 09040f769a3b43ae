"""Swedish texts of the report pages: what each table and the key figures cover, and the providers chart's title."""

SV = {
    "Year over year: %(covered)s compared with %(before)s": "År för år: %(covered)s jämfört med %(before)s",
    "Year over year: %(first)s to %(last)s, each compared with the same months of the year before": (
        "År för år: %(first)s till %(last)s, varje år jämfört med samma månader året före"
    ),
    "Whole calendar years, not only the months chosen (%(first)s – %(last)s): the key figures and the other "
    "tables cover those months only.": (
        "Hela kalenderår, inte bara de valda månaderna (%(first)s – %(last)s): nyckeltalen och de andra tabellerna "
        "gäller bara de månaderna."
    ),
    "Every region, provider and profession: only the months apply to the national view.": (
        "Alla regioner, vårdgivare och yrken: i den nationella översikten gäller bara månaderna."
    ),
    "Cost by care provider, the %(count)s with the most contacts (SEK)": (
        "Kostnad per vårdgivare, de %(count)s med flest kontakter (kr)"
    ),
    "%(region)s as seller": "%(region)s som säljare",
    "%(region)s as buyer": "%(region)s som köpare",
    "the whole country": "hela landet",
    "care provider %(name)s": "vårdgivaren %(name)s",
    "profession %(code)s": "yrket %(code)s",
    "The key figures and the tables cover %(selection)s, unless a table's heading or notes say otherwise.": (
        "Nyckeltalen och tabellerna avser %(selection)s, om inte tabellens rubrik eller anmärkningar säger annat."
    ),
    "The table covers %(selection)s.": "Tabellen avser %(selection)s.",
}
