"""GraphQL documents the hub tests share."""

PERSON_FIELDS = """
  id
  names { familyName givenName kind isPrimary isAlias partners }
  dateOfBirth gender nationality pncId croNumber
  addresses { lines town postcode }
  sources { partner recordId }
  matchConfidence
  warningMarkers { code category description partner addedOn }
  intelligence { id partner sourceEvaluation assessment handling handlingConditions grading summary content }
  custody { id partner custodyNumber station arrestedAt arrestReason offences { code description } outcome }
  safeguarding { id partner kind occurredAt childrenPresent summary contactPoint }
"""

SEARCH = (
    """
query Search($criteria: PersonCriteria!, $first: Int) {
  searchPersons(criteria: $criteria, first: $first) {
    people {"""
    + PERSON_FIELDS
    + """}
    partners { name title outcome latencyMs calls error }
  }
}"""
)

SEARCH_IDS = """
query SearchIds($criteria: PersonCriteria!, $first: Int) {
  searchPersons(criteria: $criteria, first: $first) {
    people { id sources { partner recordId } }
    partners { name outcome error }
  }
}"""

PERSON = "query Person($id: ID!) { person(id: $id) {" + PERSON_FIELDS + "} }"
