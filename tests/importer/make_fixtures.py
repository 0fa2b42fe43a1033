"""Write the importer's fixture files: `python tests/importer/make_fixtures.py`.

Each file follows the layout of a real export as the platforms document it (Zoom's
registration and attendee reports, the Microsoft Teams attendance report, Eventbrite's
attendee report, Excel and Forms sheets), as read from real exported files committed in
public repositories and from the vendors' help pages on these reports. The constants below are
named after the layout they copy; preflight/importer/formats.py recognises each. People,
addresses and values are invented.
The bytes matter (BOMs, UTF-16, cp1252, CRLF, trailing commas), hence a
generator: test_fixtures.py checks the committed files still match it.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent / "fixtures"

LONG_NAME = "Maximilienne " + "Abcdefghij" * 19  # 203 characters


def crlf(text: str) -> str:
    """Windows line endings, as Excel and most platforms write them."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def utf16le_bom(text: str) -> bytes:
    """Teams' attendance report encoding: UTF-16 LE with BOM."""
    return b"\xff\xfe" + text.encode("utf-16-le")


# --- Plain spreadsheets ---------------------------------------------------

PLAIN_UTF8 = """Name,Email,Language,Role
Camille Durand,camille.durand@exemple.fr,fr,attendee
Ajay Rao,Ajay.Rao@Example.COM,English,speaker
Lena Vogel,lena.vogel@example.de,,
"""

# Excel "CSV UTF-8": BOM + CRLF.
PLAIN_BOM_CRLF = crlf(
    """Full Name,E-mail,Langue
Hélène Martin,helene.martin@exemple.fr,Français
Zoë Lefèvre,zoe.lefevre@exemple.fr,fr-CA
"""
)

# French Excel "CSV (séparateur: point-virgule)" on Windows: cp1252, `;`,
# "Nom" next to "Prénom" is the surname.
FRENCH_SEMICOLON = crlf(
    """Nom;Prénom;Adresse e-mail;Langue;Rôle
Martin;Hélène;helene.martin@exemple.fr;Français;Participant
Durand;Camille;camille.durand@exemple.fr;fr;Intervenante
Lefèvre;Zoé;zoe.lefevre@exemple.fr;anglais;Conférencière
"""
)

SEP_LINE = crlf(
    """sep=;
Nom complet;Courriel;Langue
Hélène Martin;helene.martin@exemple.fr;FR
"Durand, Camille";camille.durand@exemple.fr;
"""
)

TABS = """Full Name\tEmail Address\tPreferred Language\tRole
Kofi Mensah\tkofi.mensah@univ-exemple.fr\tFrench\tPanelist
Ana López\tana.lopez@example.es\tEspañol\t
"""

# Every row-level problem, plus a quoted name spanning two physical lines.
BAD_ROWS = f"""Name,Email,Language,Role
Camille Durand,camille.durand@exemple.fr,fr,attendee
,missing.name@example.com,en,
No Email Person,,en,
Bad Address,not-an-email,en,
Camille Martin,camille.durand@exemple.fr,fr,
"Durand, Camille",CAMILLE.DURAND@EXEMPLE.FR,--,
Klingon Speaker,k@example.com,Klingon,
Role Player,r@example.com,en,juggler
{LONG_NAME},long@example.com,,
"Multi
Line Name",multi@example.com,N/A,speaker
N/A,--,NA,-
,,,
Ana López,ana.lopez@example.es,Español,Intervenante
Zoë,zoe@example.com,fr-CA,présentateur
"""

# --- Zoom -------------------------------------------------------------------

# Webinar Attendee Report, 2025 layout: padded with trailing commas to the
# widest row, quoted dates, one row per join, "--" for never-joined fields.
ZOOM_WEBINAR_2025 = """Attendee Report,,,,,,,,,,,,,
Report Generated:,"Mar 23, 2025 6:26 PM",,,,,,,,,,,,
Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),# Registered,# Cancelled,Unique Viewers,Total Users,Max Concurrent Views,Enable Registration,,,,
Accessible events 101,847 5984 1045,"Mar 22, 2025 7:13 PM",282,5,0,4,6,4,Yes,,,,
Host Details,,,,,,,,,,,,,
Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name,,,,,,
Yes,Nadia Host,nadia.host@acme-events.org,"Mar 22, 2025 19:13:27","Mar 22, 2025 23:55:19",282,No,France,,,,,,
Panelist Details,,,,,,,,,,,,,
Attended,User Name (Original Name),Email,Join Time,Leave Time,Time in Session (minutes),Is Guest,Country/Region Name,,,,,,
Yes,Kofi Mensah,kofi.mensah@univ-exemple.fr,"Mar 22, 2025 19:28:32","Mar 22, 2025 20:52:10",84,Yes,Ghana,,,,,,
Yes,Kofi Mensah,kofi.mensah@univ-exemple.fr,"Mar 22, 2025 20:52:29","Mar 22, 2025 23:55:19",183,Yes,Ghana,,,,,,
Attendee Details,,,,,,,,,,,,,
Attended,User Name (Original Name),First Name,Last Name,Email,Phone,Registration Time,Approval Status,Join Time,Leave Time,Time in Session (minutes),Is Guest,"Preferred language (""FR"" or ""EN"")",Country/Region Name
Yes,Cam (Camille Durand),Camille,Durand,camille.durand@exemple.fr,--,"Mar 15, 2025 11:23:29",approved,"Mar 22, 2025 19:20:02","Mar 22, 2025 20:01:40",42,Yes,FR,France
Yes,Camille Durand,Camille,Durand,camille.durand@exemple.fr,--,"Mar 15, 2025 11:23:29",approved,"Mar 22, 2025 20:05:11","Mar 22, 2025 21:30:00",85,Yes,FR,France
No,Ajay,Ajay,Rao,ajay.rao@example.com,+919140328273,"Mar 15, 2025 11:23:29",approved,--,--,--,--,EN,
Yes,Lena Vogel,Lena,Vogel,lena.vogel@example.de,--,"Mar 16, 2025 08:02:44",approved,"Mar 22, 2025 19:14:00","Mar 22, 2025 23:50:00",276,Yes,--,Germany
"""

# Webinar Attendee Report, 2020 layout: quoted header in one section,
# "User Name" without "(Original Name)", an `Other Attended` section.
ZOOM_WEBINAR_2020 = crlf(
    """Attendee Report,
Report Generated:,"Apr 09, 2020 8:50 PM"
Topic,Webinar ID,Actual Start Time,Actual Duration (minutes),# Registered,# Cancelled,Unique Viewers,Total Users,Max Concurrent Views
Spring meetup 2020,328-972-509,"Mar 28, 2020 8:07 AM", 548, 4, 0,3,5,0
Host Details,
Attended,User Name,Email,Join Time,Leave Time,Time in Session (minutes),Country/Region Name
Yes,Marc Hôte,marc.hote@exemple.fr,"Mar 28, 2020 08:07:27","Mar 28, 2020 17:14:45",548,France
Panelist Details,
"Attended","User Name","Email","Join Time","Leave Time","Time in Session (minutes)","Country/Region Name"
"Yes","Ana López","ana.lopez@example.es","Mar 28, 2020 09:39:09","Mar 28, 2020 10:03:38",25,"Spain"
Attendee Details,
Attended,First Name,Last Name,Email,Registration Time,Approval Status,Join Time,Leave Time,Time in Session (minutes),Country/Region Name
Yes,Hélène,Martin,helene.martin@exemple.fr,"Mar 28, 2020 09:07:11",approved,"Mar 28, 2020 09:07:39","Mar 28, 2020 09:26:54",20,France
Yes,Hélène,Martin,helene.martin@exemple.fr,--,--,"Mar 28, 2020 09:49:50","Mar 28, 2020 09:51:42",2,France
Other Attended,
Attended,User Name,Email,Join Time,Leave Time,Time in Session (minutes),Country/Region Name
Yes,Guest Viewer,guest.viewer@example.com,"Mar 28, 2020 10:00:00","Mar 28, 2020 10:30:00",30,Canada
"""
)

# Webinar Registration Report. Its preamble is unconfirmed; it is given the
# title / Report Generated / summary / section shape of every other Zoom
# webinar report.
ZOOM_REGISTRATION = crlf(
    """Registration Report,
Report Generated:,"Mar 23, 2025 6:26 PM"
Topic,Webinar ID,Scheduled Start Time,# Registered
Accessible events 101,847 5984 1045,"Mar 22, 2025 7:00 PM",3
Attendee Details,
First Name,Last Name,Email,City,Country/Region,Phone,Organization,Job Title,Registration Time,Approval Status,Preferred language
Camille,Durand,camille.durand@exemple.fr,Lyon,France,--,Acme,Engineer,"Mar 15, 2025 11:23:29",approved,Français
Ajay,Rao,ajay.rao@example.com,Pune,India,--,--,--,"Mar 15, 2025 12:00:00",approved,English
Lena,Vogel,lena.vogel@example.de,Berlin,Germany,--,--,--,"Mar 16, 2025 08:02:44",pending,Deutsch
"""
)

# Meeting Participants report: UTF-8 BOM, meeting row, empty row, then the
# participants table; lower-case "Join time"; a renamed person.
ZOOM_MEETING = crlf(
    """Meeting ID,Topic,Start Time,End Time,User Email,Duration (Minutes),Participants
812 3456 7890,Weekly sync,05/12/2025 09:00:00 AM,05/12/2025 10:02:00 AM,host@acme-events.org,62,3

Name (Original Name),User Email,Join time,Leave time,Duration (Minutes),Guest,Recording Consent
Nadia Host,host@acme-events.org,05/12/2025 09:00:00 AM,05/12/2025 10:02:00 AM,62,No,
Cam (Camille Durand),camille.durand@exemple.fr,05/12/2025 09:01:10 AM,05/12/2025 09:30:00 AM,29,Yes,Y
Camille Durand,camille.durand@exemple.fr,05/12/2025 09:31:00 AM,05/12/2025 10:02:00 AM,31,Yes,Y
Phone user,,05/12/2025 09:05:00 AM,05/12/2025 09:40:00 AM,35,Yes,
"""
)

# --- Microsoft Teams ----------------------------------------------------------

# Attendance report since mid-2022: UTF-16 LE BOM, tabs, numbered sections,
# "First join" casing, "Durand, Camille (Guest)", Email empty but UPN given.
TEAMS_2023 = crlf(
    """1. Summary
Meeting title\tPréparation webinaire
Attended participants\t4
Start time\t3/14/25, 9:58:12 AM
End time\t3/14/25, 11:02:40 AM
Meeting duration\t1h 4m 28s
Average attendance time\t52m 10s

2. Participants
Name\tFirst join\tLast leave\tIn-meeting duration\tEmail\tParticipant ID (UPN)\tRole
Nadia Host\t3/14/25, 9:58:12 AM\t3/14/25, 11:02:40 AM\t1h 4m 28s\tnadia.host@acme-events.org\tnadia.host@acme-events.org\tOrganizer
Durand, Camille (Guest)\t3/14/25, 10:00:03 AM\t3/14/25, 11:00:00 AM\t58m 20s\tcamille.durand@exemple.fr\t\tAttendee
Kofi Mensah\t3/14/25, 10:01:00 AM\t3/14/25, 11:01:00 AM\t1h\tkofi.mensah@univ-exemple.fr\tkofi.mensah@univ-exemple.fr\tPresenter
Jo Internal\t3/14/25, 10:05:00 AM\t3/14/25, 10:40:00 AM\t35m\t\tjo.internal@acme-events.org\tAttendee

3. In-Meeting Activities
Name\tJoin time\tLeave time\tDuration\tEmail\tRole
Nadia Host\t3/14/25, 9:58:12 AM\t3/14/25, 11:02:40 AM\t1h 4m 28s\tnadia.host@acme-events.org\tOrganizer
Durand, Camille (Guest)\t3/14/25, 10:00:03 AM\t3/14/25, 10:20:00 AM\t20m\tcamille.durand@exemple.fr\tAttendee
Durand, Camille (Guest)\t3/14/25, 10:21:00 AM\t3/14/25, 11:00:00 AM\t39m\tcamille.durand@exemple.fr\tAttendee
Kofi Mensah\t3/14/25, 10:01:00 AM\t3/14/25, 11:01:00 AM\t1h\tkofi.mensah@univ-exemple.fr\tPresenter
Jo Internal\t3/14/25, 10:05:00 AM\t3/14/25, 10:40:00 AM\t35m\t\tAttendee
"""
)

# The same report opened in French Excel and saved as "CSV UTF-8".
TEAMS_RESAVED = TEAMS_2023.replace("\t", ";")

# Older layout (2021): a "Meeting Summary" block, then one table.
TEAMS_2021 = crlf(
    """Meeting Summary
Total Number of Participants\t3
Meeting Title\tWeekly sync
Meeting Start Time\t6/1/2021, 9:00:00 AM
Meeting End Time\t6/1/2021, 10:00:00 AM

Full Name\tJoin Time\tLeave Time\tDuration\tEmail\tRole\tParticipant ID (UPN)
Host, Nadia\t6/1/2021, 9:00:00 AM\t6/1/2021, 10:00:00 AM\t60m\tnadia.host@acme-events.org\tOrganizer\tnadia.host@acme-events.org
Durand, Camille (External)\t6/1/2021, 9:02:00 AM\t6/1/2021, 9:58:00 AM\t56m\tcamille.durand@exemple.fr\tAttendee\t
Martin, Hélène\t6/1/2021, 9:05:00 AM\t6/1/2021, 9:50:00 AM\t45m\thelene.martin@exemple.fr\tPresenter\thelene.martin@exemple.fr
"""
)

# 2020 layout: join/leave log without any email column (cannot be imported).
TEAMS_2020 = crlf(
    """Full Name\tUser Action\tTimestamp
Camille Durand\tJoined\t3/27/2020, 9:00:10 AM
Camille Durand\tLeft\t3/27/2020, 10:00:10 AM
"""
)

# --- Eventbrite -------------------------------------------------------------

# US attendee report header (real, 2024). The second ticket of order
# 1234567891 was bought for someone else but carries the buyer's address.
EVENTBRITE_US = crlf(
    """Order #,Order Date,First Name,Last Name,Email,Quantity,Price Tier,Ticket Type,Attendee #,Group,Order Type,Currency,Total Paid,Fees Paid,Eventbrite Fees,Eventbrite Payment Processing,Attendee Status,Home Address 1,Home City,Home Country,Preferred language,Job Title,Company
1234567890,2024-09-02 10:15:00-04:00,Camille,Durand,camille.durand@exemple.fr,1,,General Admission,3456789012,,Free Order,USD,0.00,0.00,0.00,0.00,Attending,,,,Français,Engineer,Acme
1234567891,2024-09-03 08:01:00-04:00,Ajay,Rao,ajay.rao@example.com,1,,Speaker pass,3456789013,,Free Order,USD,0.00,0.00,0.00,0.00,Attending,,Pune,India,English,CTO,Rao Labs
1234567891,2024-09-03 08:01:00-04:00,Priya,Rao,ajay.rao@example.com,1,,General Admission,3456789014,,Free Order,USD,0.00,0.00,0.00,0.00,Attending,,Pune,India,English,,
"""
)

# UK export: "Order no.", "Surname", "Attendee no.", the older Last-before-First
# order, and buyer columns next to the attendee's.
EVENTBRITE_UK = crlf(
    """Order no.,Order Date,Surname,First Name,Email,Quantity,Ticket Type,Attendee no.,Order Type,Currency,Total Paid,Attendee Status,Buyer Surname,Buyer First Name,Buyer Email
987654321,2024-10-01 14:00:00+01:00,Martin,Hélène,helene.martin@exemple.fr,1,General Admission,555000111,Free Order,GBP,0.00,Attending,Hôte,Marc,marc.hote@exemple.fr
987654321,2024-10-01 14:00:00+01:00,Hôte,Marc,marc.hote@exemple.fr,1,General Admission,555000112,Free Order,GBP,0.00,Attending,Hôte,Marc,marc.hote@exemple.fr
"""
)

# --- Forms ------------------------------------------------------------------

# Microsoft Forms responses re-saved as CSV UTF-8: the second response is
# anonymous ("anonymous" email, empty Name) and answers the questions instead.
MICROSOFT_FORMS = crlf(
    """ID,Start time,Completion time,Email,Name,Last modified time,Your email address,Your full name,Preferred language,Will you speak or attend?
1,3/10/25 9:01:12,3/10/25 9:02:40,camille.durand@exemple.fr,"Durand, Camille",,camille.durand@exemple.fr,Camille Durand,Français,Attend
2,3/10/25 9:05:00,3/10/25 9:06:10,anonymous,,,lena.vogel@example.de,Lena Vogel,German,Speak
"""
)

# Google Forms: question headers with commas and a line break; an answer
# spanning lines.
GOOGLE_FORMS = crlf(
    """Timestamp,Email Address,"Full name, as it should appear
on your badge",Langue / Language,Your role,"Anything we should know, e.g. accessibility needs?"
2025/03/10 9:01:12 AM GMT+1,camille.durand@exemple.fr,Camille Durand,Français,Participant,
2025/03/10 9:14:40 AM GMT+1,ana.lopez@example.es,Ana López,Español,Speaker,"Screen reader user.
Please send slides in advance."
2025/03/11 6:02:03 PM GMT+1,kofi.mensah@univ-exemple.fr,Kofi Mensah,English,,
"""
)

# --- GoTo Webinar -------------------------------------------------------------

# Old GoTo Webinar attendee report: preamble, headers with trailing spaces,
# a footnote row right after the table.
GOTO_WEBINAR = crlf(
    """Attendee Report,,GoToWebinar
Generated,"Jun 02, 2016 10:11 AM PDT"
General Information
Webinar Name,Webinar ID,Actual Start Date/Time,Actual Duration (minutes),# Registered,# Attended,Clicked Registration Link,Opened Invitation
Accessibility in online events,123-456-789,"Jun 01, 2016 09:00 AM PDT",61,3,2,10,25
Session Details
Session Start ,Session End ,Duration (minutes) 
"Jun 01, 2016 09:00 AM PDT","Jun 01, 2016 10:01 AM PDT",61
Attendee Details
Attended ,Interest Rating ,First Name ,Last Name ,Email Address ,Registration Date ,Join Time ,Leave Time ,In Session Duration* ,Country/Region 
Yes,72,Camille,Durand,camille.durand@exemple.fr,"May 20, 2016 10:00 AM PDT","Jun 01, 2016 09:01 AM PDT","Jun 01, 2016 10:00 AM PDT",59 minutes,France
Yes,40,Ajay,Rao,ajay.rao@example.com,"May 21, 2016 08:30 AM PDT","Jun 01, 2016 09:10 AM PDT","Jun 01, 2016 09:50 AM PDT",40 minutes,India
No,--,Lena,Vogel,lena.vogel@example.de,"May 22, 2016 09:00 AM PDT",--,--,--,Germany
*If an attendee left and rejoined the session, the In Session Duration column only includes their first visit.
"""
)

# --- Files that are not participant lists -------------------------------------


def _zip_bytes() -> bytes:
    """A ZIP holding only an empty workbook part: an .xlsx too broken to read."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo("xl/workbook.xml", date_time=(2025, 1, 1, 0, 0, 0))
        archive.writestr(info, "<workbook/>")
    return buffer.getvalue()


FIXTURES: dict[str, bytes] = {
    "plain_utf8.csv": PLAIN_UTF8.encode("utf-8"),
    "plain_utf8_bom_crlf.csv": b"\xef\xbb\xbf" + PLAIN_BOM_CRLF.encode("utf-8"),
    "excel_fr_semicolon_cp1252.csv": FRENCH_SEMICOLON.encode("cp1252"),
    "excel_sep_line.csv": SEP_LINE.encode("utf-8"),
    "tabs.tsv": TABS.encode("utf-8"),
    "bad_rows.csv": BAD_ROWS.encode("utf-8"),
    "zoom_webinar_attendees_2025.csv": ZOOM_WEBINAR_2025.encode("utf-8"),
    "zoom_webinar_attendees_2020.csv": ZOOM_WEBINAR_2020.encode("utf-8"),
    "zoom_registration.csv": ZOOM_REGISTRATION.encode("utf-8"),
    "zoom_meeting_participants.csv": b"\xef\xbb\xbf" + ZOOM_MEETING.encode("utf-8"),
    "teams_attendance_2023.csv": utf16le_bom(TEAMS_2023),
    "teams_attendance_resaved_semicolon.csv": b"\xef\xbb\xbf" + TEAMS_RESAVED.encode("utf-8"),
    "teams_attendance_2021.csv": utf16le_bom(TEAMS_2021),
    "teams_attendance_2020.csv": utf16le_bom(TEAMS_2020),
    "eventbrite_us.csv": EVENTBRITE_US.encode("utf-8"),
    "eventbrite_uk.csv": EVENTBRITE_UK.encode("utf-8"),
    "microsoft_forms.csv": b"\xef\xbb\xbf" + MICROSOFT_FORMS.encode("utf-8"),
    "google_forms.csv": GOOGLE_FORMS.encode("utf-8"),
    "goto_webinar.csv": GOTO_WEBINAR.encode("utf-8"),
    "empty.csv": b"",
    "bom_only.csv": b"\xef\xbb\xbf\r\n",
    "saved_as_xlsx.csv": _zip_bytes(),
    "no_header.csv": b"Topic,Date,Room\r\nKick-off,2025-03-01,A\r\n",
    "broken_utf16.csv": b"\xff\xfe" + "Name\tEmail\r\n".encode("utf-16-le") + b"\x00\xd8A\x00",
    "undefined_cp1252.csv": b"Name,Email\r\nCamille \x81,camille@exemple.fr\r\n",
}


def main(target: Path = HERE) -> None:
    """(Re)write every fixture under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    for name, data in FIXTURES.items():
        (target / name).write_bytes(data)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
