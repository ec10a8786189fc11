/** The therapist's calendar stream; `therapist` is the EventStoreDB category. */
export function therapistStream(therapistId: string): string {
  return `therapist-${therapistId}`;
}
