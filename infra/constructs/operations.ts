import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { PORTFOLIO_SEGMENTS } from '../../shared/application/portfolio';
import { METRICS, METRICS_NAMESPACE, type MetricName } from '../../shared/domain/metrics';
import { STAGES } from '../../shared/schemas/enums';

export interface OperationsProps {
  /** Every function, by its entry name (`functions/<name>.ts`). */
  functions: Record<string, lambda.IFunction>;
  stateMachine: sfn.IStateMachine;
  api: apigateway.RestApi;
  tables: Record<string, dynamodb.ITableV2>;
  /** Alarms defined elsewhere that must reach someone too (the account feed's dead letters). */
  otherAlarms: cloudwatch.Alarm[];
  /** Where alarms go: an e-mail address (context `alarmEmail`); without one, subscribe to the topic yourself. */
  alarmEmail?: string;
}

const CHANNELS = ['voice', 'chat', 'agent'] as const;
/** The alarms a new version may trip: more fallbacks, API 5xx, failed runs, a slower voice turn. */
const ROLLBACK_ALARMS = ['FallbackRate', 'Api5xx', 'StateMachineFailures', 'VoiceLatencyNearConnectBudget'];
const FIVE_MINUTES = Duration.minutes(5);

/** A metric of the catalog, under one of its dimension sets (checked: a name or set the code never emits fails synth). */
function ours(
  name: MetricName,
  dimensions: Record<string, string>,
  statistic = 'Sum',
  period = FIVE_MINUTES,
) {
  const keys = Object.keys(dimensions).sort().join(',');
  const sets = (METRICS[name].sets as readonly (readonly string[])[]).map((s) => [...s].sort().join(','));
  if (!sets.includes(keys)) throw new Error(`${name} is not published under the dimensions ${keys}`);
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: dimensions,
    statistic,
    period,
  });
}

/**
 * Every metric of one name whatever the values of its dimensions, summed per 5 minutes (or another
 * statistic), each line labelled by CloudWatch with its dimension values (dashboards only: alarms
 * cannot SEARCH). Values that exist only at run time (offers, strategies) need no redeploy to appear.
 */
function searchAll(name: MetricName, dims: readonly string[], filter = '', statistic = 'Sum') {
  return new cloudwatch.MathExpression({
    expression: `SEARCH('{${METRICS_NAMESPACE},${dims.join(',')}} MetricName="${name}" ${filter}', '${statistic}', 300)`,
    label: '',
    period: FIVE_MINUTES,
  });
}

/**
 * What ops and managers see and what wakes someone: the dashboard (a retention manager's rows first,
 * an engineer's after), alarms that each say what to do, all sent to one encrypted SNS topic, and
 * saved Logs Insights queries for the first minutes of an incident.
 */
export class Operations extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  /** What stops a gradual deployment and rolls it back (infra/constructs/rollout.ts): the call going wrong. */
  readonly rollbackAlarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // CloudWatch publishes to an encrypted topic only with a key of ours that lets it (not aws/sns).
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm topic; CloudWatch alarms may use it to publish',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: 'Retention Desk alarms',
      masterKey: key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const notify = new actions.SnsAction(this.topic);

    const alarm = (
      name: string,
      metric: cloudwatch.Metric | cloudwatch.MathExpression,
      threshold: number,
      whatToDo: string,
      opts: Partial<cloudwatch.CreateAlarmOptions> = {},
    ) => {
      const a = metric.createAlarm(this, name, {
        alarmDescription: whatToDo,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...opts,
      });
      a.addAlarmAction(notify);
      a.addOkAction(notify);
      this.alarms.push(a);
      if (ROLLBACK_ALARMS.includes(name)) this.rollbackAlarms.push(a);
      return a;
    };
    for (const other of props.otherAlarms) {
      other.addAlarmAction(notify);
      other.addOkAction(notify);
    }

    // --- Alarms -----------------------------------------------------------------------------
    // Metric math ids: a lowercase letter first.
    const sumOver = (name: MetricName, id: string) =>
      Object.fromEntries(CHANNELS.map((c) => [`${id}_${c}`, ours(name, { channel: c })]));
    const fallbackRate = new cloudwatch.MathExpression({
      expression: '100 * (f_voice + f_chat + f_agent) / MAX([1, t_voice + t_chat + t_agent])',
      usingMetrics: { ...sumOver('Fallbacks', 'f'), ...sumOver('Turns', 't') },
      label: 'fallback rate (%)',
      period: FIVE_MINUTES,
    });
    alarm(
      'FallbackRate',
      fallbackRate,
      2,
      'More than 2 % of turns ended on the safe route (handed to a retention specialist) for 5 minutes. Open the dashboard row "Fallbacks by what failed", then the saved query "fallbacks by reason": a failing task (DecideTurn, SaveTurn) points at its function\'s errors and DynamoDB; RetentionCall at the state machine or Step Functions itself.',
    );
    alarm(
      'VoiceLatencyNearConnectBudget',
      ours('AdapterLatency', { channel: 'voice' }, 'p99'),
      5000,
      "The voice adapter's p99 passed 5 s; Connect gives up at 8 s and the caller hears silence meanwhile. Check the dashboard's latency row (which action, cold starts, DynamoDB latency); if DynamoDB is throttled or slow, see its alarm.",
      { evaluationPeriods: 2 },
    );
    alarm(
      'LockoutSpike',
      ours('Verifications', { result: 'LOCKED' }),
      20,
      'At least 20 verifications locked an account in 5 minutes: someone may be guessing factors across accounts. Check the saved query "one contact\'s trail" for the contacts concerned and the rate-limit counters; tell security. Locks expire by themselves (30 minutes by default).',
    );
    alarm(
      'BudgetsRunningOut',
      new cloudwatch.MathExpression({
        expression: 'b_voice + b_chat + b_agent',
        usingMetrics: sumOver('BudgetCapsReached', 'b'),
        label: 'accepts refused by a budget cap',
        period: FIVE_MINUTES,
      }),
      1,
      'An offer\'s budget for the period is spent: its accepts are refused and the next offer follows. The dashboard row "Budget caps reached" names the offer; raise its cap in a new configuration version, or let the period end.',
    );
    alarm(
      'Api5xx',
      props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum' }),
      5,
      "The REST API answered 5 or more 5xx in 5 minutes (a 503 is the safe route after a failed turn; a 502 is the function itself). Check http-api's errors and the fallback alarm.",
    );
    alarm(
      'StateMachineFailures',
      new cloudwatch.MathExpression({
        expression: 'failed + timedOut',
        usingMetrics: {
          failed: props.stateMachine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
          timedOut: props.stateMachine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
        },
        label: 'runs failed or timed out',
        period: FIVE_MINUTES,
      }),
      1,
      "A run of the retention-call state machine failed or timed out (every task catches its errors, so this means the machine itself, its role or a task's output). The caller got the safe route. Look at the state machine's ERROR log group and the X-Ray trace of a sampled run.",
    );
    // The canary (functions/canary.ts) plays a whole call every 5 minutes: no pass in 15 minutes is three
    // failed calls in a row, or a canary that stopped running (missing data counts).
    alarm(
      'CanaryFailing',
      ours('CanaryCalls', { result: 'passed' }, 'Sum', Duration.minutes(15)),
      1,
      "The canary's synthetic call (start, verify, offers, accept, against account CANARY-000001) has not passed for 15 minutes: callers are likely failing too. Its log group says the step and why (`canary failed`: step, why); check the fallback and state machine alarms, DecideTurn/SaveTurn errors and DynamoDB. If offers are the problem, the kill switch (README, Levers for a bad night) sends every caller to a person while you fix it.",
      {
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      },
    );
    // The turn's tables (an alarm's math takes 10 metrics at most; the configuration is read once
    // every 30 s per container and shows on the dashboard).
    const throttles: Record<string, cloudwatch.IMetric> = {};
    const turnTables = Object.entries(props.tables).filter(([name]) => name !== 'catalog');
    for (const [i, [, t]] of turnTables.entries()) {
      throttles[`r${i}`] = t.metric('ReadThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum' });
      throttles[`w${i}`] = t.metric('WriteThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum' });
    }
    alarm(
      'DynamoDbThrottling',
      new cloudwatch.MathExpression({
        expression: Object.keys(throttles).join(' + '),
        usingMetrics: throttles,
        label: 'throttled reads and writes',
        period: FIVE_MINUTES,
      }),
      10,
      "DynamoDB throttled 10 or more requests in 5 minutes (on-demand tables throttle a partition past its limit, often a hot counter). Turns retry, then fall back. The dashboard's DynamoDB row shows which table; a hot shared counter (budget, learning) wants sharding.",
    );

    // --- Dashboard ----------------------------------------------------------------------------
    const w = (title: string, left: cloudwatch.IMetric[], opts: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, ...opts });
    const saveRate = new cloudwatch.MathExpression({
      expression: '100 * saved / MAX([1, saved + closed])',
      usingMetrics: {
        saved: ours('Outcomes', { outcome: 'SAVED' }),
        closed: ours('Outcomes', { outcome: 'CLOSURE_REQUESTED' }),
      },
      label: 'save rate: saved ÷ (saved + closure requested), %',
      period: FIVE_MINUTES,
    });
    const policies = ['LEARNING', 'CONTROL', 'NONE'];
    const acceptance = (policy: string, p = policy.toLowerCase()) =>
      new cloudwatch.MathExpression({
        expression: `100 * a_${p} / MAX([1, a_${p} + d_${p}])`,
        usingMetrics: {
          [`a_${p}`]: ours('OfferAnswers', { policy, response: 'ACCEPTED' }),
          [`d_${p}`]: ours('OfferAnswers', { policy, response: 'DECLINED' }),
        },
        label: `${policy.toLowerCase()}: acceptance %`,
        period: FIVE_MINUTES,
      });
    const fns = Object.entries(props.functions);
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-operations`,
      defaultInterval: Duration.hours(12),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown:
              "# Retention Desk\nRows 1–2: what the desk achieved (save rate, acceptance, spend against value kept, the call funnel, learning against control). Row 3: the service strategies' funnels. Rows 4–6: how it runs. Every alarm says what to do; the README's Operations section explains each widget.",
            width: 24,
            height: 2,
          }),
        ],
        [
          w('Save rate (closing calls)', [saveRate], { leftYAxis: { min: 0, max: 100, label: '%' } }),
          w(
            'Acceptance by offer (accepted answers)',
            [searchAll('OfferAnswers', ['offerId', 'response'], 'response="ACCEPTED"')],
            { leftYAxis: { min: 0, label: 'answers' } },
          ),
          w(
            'Incentive spend against customer value kept',
            [
              ...policies.map((p) =>
                ours('IncentiveSpend', { policy: p }).with({ label: `spend, ${p.toLowerCase()}` }),
              ),
            ],
            {
              right: policies.map((p) =>
                ours('ValueKept', { policy: p }).with({ label: `value kept, ${p.toLowerCase()}` }),
              ),
              leftYAxis: { min: 0, label: 'spend' },
              rightYAxis: { min: 0, label: 'value kept' },
            },
          ),
        ],
        [
          w(
            'Contacts by stage (the funnel of the call)',
            STAGES.map((s) => ours('StageReached', { stage: s }).with({ label: s })),
            { view: cloudwatch.GraphWidgetView.BAR, leftYAxis: { min: 0, label: 'contacts' } },
          ),
          w(
            'Learning against control: acceptance',
            policies.slice(0, 2).map((p) => acceptance(p)),
            {
              leftYAxis: { min: 0, max: 100, label: '%' },
            },
          ),
          w(
            'Contacts started, identified or not',
            CHANNELS.flatMap((c) =>
              ['yes', 'no'].map((i) =>
                ours('ContactsStarted', { channel: c, identified: i }).with({
                  label: `${c}, identified ${i}`,
                }),
              ),
            ),
            { leftYAxis: { min: 0, label: 'contacts' } },
          ),
        ],
        [
          // Strategies are data: a SEARCH shows every strategy and stage published, whatever the
          // configuration deployed with the stack. A bar per (strategy, stage): its latest 5-minute value.
          w(
            'Strategies: accounts at each stage (latest)',
            [searchAll('StrategyStageAccounts', ['strategyId', 'stageId'], '', 'Maximum')],
            { view: cloudwatch.GraphWidgetView.BAR, leftYAxis: { min: 0, label: 'accounts' }, width: 16 },
          ),
          w(
            'Placing the portfolio (active configuration)',
            [
              ours('PlacementSegmentsDone', {}, 'Maximum').with({
                label: `segments done (of ${PORTFOLIO_SEGMENTS}: complete)`,
              }),
            ],
            {
              leftYAxis: { min: 0, max: PORTFOLIO_SEGMENTS, label: 'segments' },
              right: [ours('PlacementAccountsScanned', {}, 'Maximum').with({ label: 'accounts reached' })],
              rightYAxis: { min: 0, label: 'accounts' },
            },
          ),
        ],
        [
          w(
            'Turn latency p50 and p99 by channel',
            CHANNELS.flatMap((c) => [
              ours('TurnLatency', { channel: c }, 'p50').with({ label: `${c} p50` }),
              ours('TurnLatency', { channel: c }, 'p99').with({ label: `${c} p99` }),
            ]),
            {
              leftYAxis: { min: 0, label: 'ms' },
              leftAnnotations: [{ value: 8000, label: 'Connect gives up (8 s)', color: '#d62728' }],
            },
          ),
          w('Fallbacks by what failed', [searchAll('Fallbacks', ['failedAt'])], {
            leftYAxis: { min: 0, label: 'turns' },
            right: [fallbackRate],
            rightYAxis: { min: 0, label: '%' },
          }),
          w('Budget caps reached, by offer', [searchAll('BudgetCapsReached', ['offerId'])], {
            leftYAxis: { min: 0, label: 'accepts refused' },
          }),
        ],
        [
          w(
            'Lambda errors and throttles',
            fns.flatMap(([name, f]) => [
              f.metricErrors({ period: FIVE_MINUTES, label: `${name} errors` }),
              f.metricThrottles({ period: FIVE_MINUTES, label: `${name} throttles` }),
            ]),
            { leftYAxis: { min: 0 } },
          ),
          w(
            'Cold starts: init duration (max)',
            fns.map(([name]) => ours('InitDuration', { function: name }, 'Maximum').with({ label: name })),
            { leftYAxis: { min: 0, label: 'ms' } },
          ),
          w(
            'State machine: failed and timed-out runs',
            [
              props.stateMachine.metricFailed({ period: FIVE_MINUTES, statistic: 'Sum' }),
              props.stateMachine.metricTimedOut({ period: FIVE_MINUTES, statistic: 'Sum' }),
            ],
            { leftYAxis: { min: 0, label: 'runs' } },
          ),
        ],
        [
          w(
            'DynamoDB throttled requests, by table',
            Object.entries(props.tables).map(
              ([name, t]) =>
                new cloudwatch.MathExpression({
                  expression: `r_${name} + w_${name}`,
                  usingMetrics: {
                    [`r_${name}`]: t.metric('ReadThrottleEvents', { period: FIVE_MINUTES, statistic: 'Sum' }),
                    [`w_${name}`]: t.metric('WriteThrottleEvents', {
                      period: FIVE_MINUTES,
                      statistic: 'Sum',
                    }),
                  },
                  label: name,
                  period: FIVE_MINUTES,
                }),
            ),
            { leftYAxis: { min: 0 } },
          ),
          w(
            "DynamoDB latency of the turn's requests (average)",
            [
              ...['GetItem', 'Query', 'TransactWriteItems'].map((op) =>
                props.tables.contacts!.metric('SuccessfulRequestLatency', {
                  dimensionsMap: { TableName: props.tables.contacts!.tableName, Operation: op },
                  period: FIVE_MINUTES,
                  statistic: 'Average',
                  label: `contacts ${op}`,
                }),
              ),
            ],
            { leftYAxis: { min: 0, label: 'ms' } },
          ),
          w(
            'REST API 4xx and 5xx',
            [
              props.api.metricClientError({ period: FIVE_MINUTES, statistic: 'Sum', label: '4xx' }),
              props.api.metricServerError({ period: FIVE_MINUTES, statistic: 'Sum', label: '5xx' }),
            ],
            { leftYAxis: { min: 0, label: 'requests' } },
          ),
        ],
        [new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 3 })],
      ],
    });

    // --- Saved Logs Insights queries --------------------------------------------------------------
    const groups = fns.map(([, f]) => (f as lambda.Function).logGroup);
    new logs.QueryDefinition(this, 'ContactTrail', {
      queryDefinitionName: `${stack.stackName}/one contact's trail`,
      queryString: new logs.QueryString({
        fields: ['@timestamp', 'function_name', 'message', 'task', 'path', 'stage', 'kind', 'problem'],
        filterStatements: ['contactId = "REPLACE-WITH-CONTACT-ID"'],
        sort: '@timestamp asc',
        limit: 200,
      }),
      logGroups: groups,
    });
    new logs.QueryDefinition(this, 'FallbacksByReason', {
      queryDefinitionName: `${stack.stackName}/fallbacks by reason`,
      queryString: new logs.QueryString({
        filterStatements: ['ispresent(Fallbacks)'],
        statsStatements: ['sum(Fallbacks) as fallbacks by channel, failedAt'],
        sort: 'fallbacks desc',
      }),
      logGroups: groups,
    });
    new logs.QueryDefinition(this, 'SlowestTurns', {
      queryDefinitionName: `${stack.stackName}/slowest turns`,
      queryString: new logs.QueryString({
        fields: ['@timestamp', 'channel', 'action', 'TurnLatency'],
        filterStatements: ['ispresent(TurnLatency) and ispresent(action)'],
        sort: 'TurnLatency desc',
        limit: 50,
      }),
      logGroups: groups,
    });
    // How long accounts stay at each stage of the strategies: every exit logs its time at the stage.
    new logs.QueryDefinition(this, 'TimeInStage', {
      queryDefinitionName: `${stack.stackName}/time in each strategy stage`,
      queryString: new logs.QueryString({
        filterStatements: ['message = "strategy stage" and event = "STAGE_EXIT" and ispresent(daysInStage)'],
        statsStatements: [
          'avg(daysInStage) as avgDays, pct(daysInStage, 50) as p50Days, pct(daysInStage, 90) as p90Days, count(*) as exits by strategyId, version, stageId',
        ],
        sort: 'strategyId asc',
      }),
      logGroups: groups,
    });
  }
}
