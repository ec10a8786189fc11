import { assertNever, type Decider } from '../shared/decider.js';
import { decideAddAvailabilityException, decideChangeBookingPolicies, decideDefineAvailability, decideRemoveAvailabilityException, decideRemoveAvailabilityRule } from './decide-availability.js';
import { decideCancelBooking, decideConfirmBooking, decideRequestBooking } from './decide-booking.js';
import { decideArchiveBookingRequest, decideExpireBooking, decideExpireBookingHold } from './decide-expiry.js';
import { decideReissuePatientToken, decideRevokePatientToken } from './decide-patient-access.js';
import { decideStartPayment } from './decide-payment.js';
import { decideRegisterTherapist } from './decide-profile.js';
import { decideGenerateRecurringSessions, decideRecordPaymentReminderDue, decideRecordPaymentRemindersDue } from './decide-generation.js';
import { decideChangeRecurrenceState, decideConfigureRecurrence, decideModifyRecurrence } from './decide-recurrence.js';
import { decideMarkNotificationsRead, decideRecordSessionOutcome, decideRecordSessionPayment, decideScheduleSession } from './decide-session.js';
import type { TherapistCommand } from './therapist-commands.js';
import type { TherapistEvent } from './therapist-events.js';
import { evolveTherapist } from './therapist-evolve.js';
import { initialTherapistState, type TherapistState } from './therapist-state.js';

function decide(command: TherapistCommand, state: TherapistState): readonly TherapistEvent[] {
  switch (command.type) {
    case 'RegisterTherapist':
      return decideRegisterTherapist(command, state);
    case 'DefineAvailability':
      return decideDefineAvailability(command, state);
    case 'RemoveAvailabilityRule':
      return decideRemoveAvailabilityRule(command, state);
    case 'AddAvailabilityException':
      return decideAddAvailabilityException(command, state);
    case 'RemoveAvailabilityException':
      return decideRemoveAvailabilityException(command, state);
    case 'ChangeBookingPolicies':
      return decideChangeBookingPolicies(command, state);
    case 'RequestBooking':
      return decideRequestBooking(command, state);
    case 'StartPayment':
      return decideStartPayment(command, state);
    case 'ConfirmBooking':
      return decideConfirmBooking(command, state);
    case 'CancelBooking':
      return decideCancelBooking(command, state);
    case 'ExpireBookingHold':
      return decideExpireBookingHold(command, state);
    case 'ExpireBooking':
      return decideExpireBooking(command, state);
    case 'ArchiveBookingRequest':
      return decideArchiveBookingRequest(command, state);
    case 'RecordSessionOutcome':
      return decideRecordSessionOutcome(command, state);
    case 'RevokePatientToken':
      return decideRevokePatientToken(command, state);
    case 'ReissuePatientToken':
      return decideReissuePatientToken(command, state);
    case 'ConfigureRecurrence':
      return decideConfigureRecurrence(command, state);
    case 'ModifyRecurrence':
      return decideModifyRecurrence(command, state);
    case 'PauseRecurrence':
    case 'ResumeRecurrence':
    case 'StopRecurrence':
      return decideChangeRecurrenceState(command, state);
    case 'GenerateRecurringSessions':
      return decideGenerateRecurringSessions(command, state);
    case 'RecordPaymentReminderDue':
      return decideRecordPaymentReminderDue(command, state);
    case 'RecordPaymentRemindersDue':
      return decideRecordPaymentRemindersDue(command, state);
    case 'ScheduleSession':
      return decideScheduleSession(command, state);
    case 'RecordSessionPayment':
      return decideRecordSessionPayment(command, state);
    case 'MarkNotificationsRead':
      return decideMarkNotificationsRead(command, state);
    default:
      return assertNever(command);
  }
}

/** The therapist's calendar: one stream, one decider, the consistency boundary of every slot. */
export const therapistDecider: Decider<TherapistCommand, TherapistState, TherapistEvent> = {
  initialState: () => initialTherapistState,
  evolve: evolveTherapist,
  decide,
};
