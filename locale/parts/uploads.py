"""Swedish texts of CSV uploads as persisted batches (issue 15): the upload's page, the list of uploads, the contact
list's "upload" filter, the row cap and the background processing."""

SV = {
    "upload": "uppladdning",
    "uploaded by": "uppladdad av",
    "No such upload.": "Uppladdningen finns inte.",
    "Upload of %(file)s": "Uppladdning av %(file)s",
    "Done": "Klar",
    "file name": "filnamn",
    "file size (bytes)": "filstorlek (byte)",
    "SHA-256 of the file": "filens SHA-256",
    "file content": "filens innehåll",
    "processed rows": "bearbetade rader",
    "unchanged": "oförändrade",
    "rejected rows": "avvisade rader",
    "uploaded": "uppladdad",
    "contact upload": "uppladdning av kontakter",
    "contact uploads": "uppladdningar av kontakter",
    "outcome": "utfall",
    "contact of an upload": "kontakt i en uppladdning",
    "contacts of uploads": "kontakter i uppladdningar",
    "The file has %(rows)s rows; at most %(max)s rows can be uploaded in one file. Split it into smaller files and "
    "upload them one after the other.": "Filen har %(rows)s rader; högst %(max)s rader kan laddas upp i en fil. Dela "
    "upp den i mindre filer och ladda upp dem en i taget.",
    "This file is being uploaded already (since %(time)s). Wait until it is done: its page shows its progress.": (
        "Den här filen laddas redan upp (sedan %(time)s). Vänta tills den är klar: dess sida visar hur långt den "
        "har kommit."
    ),
    "The job queue could not be reached, so the file was not processed. Upload it again in a moment.": (
        "Jobbkön gick inte att nå, så filen bearbetades inte. Ladda upp den igen om en stund."
    ),
    "Stopped at line %(line)d by an unexpected error (%(error)s). The contacts of the lines before it are stored and "
    "counted here. Upload the file again to store the rest: what is stored already then counts as unchanged.": (
        "Avbröts på rad %(line)d av ett oväntat fel (%(error)s). Kontakterna på raderna före den är sparade och "
        "räknade här. Ladda upp filen igen för att spara resten: det som redan är sparat räknas då som oförändrat."
    ),
    "Follow that upload's progress": "Följ den uppladdningen",
    "This upload's page": "Uppladdningens sida",
    "Recent uploads": "Senaste uppladdningar",
    "Uploading…": "Laddar upp …",
    "A file of up to %(sync)s rows is stored at once and its result shown here. A larger file is stored in the "
    "background: its own page shows the progress and then the result. A file may have at most %(max)s rows.": (
        "En fil med upp till %(sync)s rader sparas direkt och resultatet visas här. En större fil sparas i "
        "bakgrunden: dess egen sida visar hur långt den har kommit och sedan resultatet. En fil får ha högst "
        "%(max)s rader."
    ),
    "File": "Fil",
    "%(counter)s row": ("%(counter)s rad", "%(counter)s rader"),
    "Uploaded": "Uppladdad",
    '<span id="processed-rows">%(processed)s</span> of %(total)s rows': (
        '<span id="processed-rows">%(processed)s</span> av %(total)s rader'
    ),
    "The file is being stored. This page reloads itself every few seconds; you may also leave it and come back later "
    "(Recent uploads).": "Filen sparas. Sidan laddas om av sig själv med några sekunders mellanrum; du kan också "
    "lämna den och komma tillbaka senare (Senaste uppladdningar).",
    "Upload another file": "Ladda upp en fil till",
}
