"""The subset of Thinkific's GraphQL schema the contract documents: certificates and quiz results.

Relay connections take `first`/`last` (one of them required; `simulator.graphql_cost` enforces
it, since the cost depends on it) with `after`/`before`, and offer `nodes`, `edges { cursor node }`,
`pageInfo` and `totalCount`. Ids are GraphQL `ID`s: strings, holding the REST ids' digits.
"""

from __future__ import annotations

from graphql import GraphQLSchema, build_schema

SDL = """
scalar DateTime

type Query {
  site: Site!
  userByEmail(email: String!): User
}

type Site {
  courses(first: Int, after: String, last: Int, before: String): CourseConnection!
  quizSubmissions(
    first: Int, after: String, last: Int, before: String, filter: QuizSubmissionFilter
  ): QuizSubmissionConnection!
}

input QuizSubmissionFilter {
  userIds: [ID!]
  courseIds: [ID!]
  groupIds: [ID!]
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type User {
  id: ID!
  email: String
  firstName: String
  lastName: String
  certificates(first: Int, after: String, last: Int, before: String): CertificateConnection
}

type Course {
  id: ID!
  name: String
  certificates(first: Int, after: String, last: Int, before: String): CertificateConnection
}

type Certificate {
  id: ID!
  credentialId: String
  issuedAt: DateTime
  expiryDate: DateTime
  pdfDownloadPath: String
  user: User!
  course: Course!
}

type Quiz {
  id: ID!
  name: String
  passingScore: Int
}

type QuizSubmission {
  id: ID!
  attempts: Int
  correctCount: Int
  incorrectCount: Int
  passed: Boolean
  completedAt: DateTime
  createdAt: DateTime
  quiz: Quiz!
  user: User!
}

type CourseConnection {
  nodes: [Course!]!
  edges: [CourseEdge!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type CourseEdge {
  cursor: String!
  node: Course!
}

type CertificateConnection {
  nodes: [Certificate!]!
  edges: [CertificateEdge!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type CertificateEdge {
  cursor: String!
  node: Certificate!
}

type QuizSubmissionConnection {
  nodes: [QuizSubmission!]!
  edges: [QuizSubmissionEdge!]!
  pageInfo: PageInfo!
  totalCount: Int!
}

type QuizSubmissionEdge {
  cursor: String!
  node: QuizSubmission!
}
"""

SCHEMA: GraphQLSchema = build_schema(SDL)
